"""The simulated departments as one ASGI app, separate from the platform's app.

State (faults, counters, learnt dwellings, account transfers) lives in the process: a stand-in
for real departments, not a system of record.
"""

from __future__ import annotations

import asyncio
import gc
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.adapters.errors import PurposeNotAllowed, PurposeRequired
from app.adapters.purposes import DEFAULT_POLICY, check_purpose, parse_purpose
from app.adapters.simulator.courier import CourierState, courier_routes
from app.adapters.simulator.dataset_types import Context, Dataset, Department
from app.adapters.simulator.datasets import (
    DEPARTMENTS,
    SUBJECT_KEYS,
    UTILITY_CODES,
    lookup,
    new_context,
)
from app.adapters.simulator.endpoints_admin import SimulatorError, admin_routes
from app.adapters.simulator.endpoints_instructions import instruction_routes
from app.adapters.simulator.endpoints_pension import pension_routes
from app.adapters.simulator.fast import FastLookupMiddleware
from app.adapters.simulator.faults import FaultMiddleware, FaultState
from app.adapters.simulator.pension import PensionPayments
from app.adapters.simulator.population import Population
from app.adapters.simulator.record_times import record_time
from app.adapters.simulator.schemas import (
    BatchItem,
    BatchRequest,
    BatchResponse,
    DatasetInfo,
    DatasetList,
    DisbursementReceipt,
    InstructionReceipt,
    LookupRequest,
    LookupResponse,
    Subject,
    TransferReceipt,
    TransferRequest,
)  # fmt: skip
from app.adapters.simulator.settings import SimulatorSettings
from app.adapters.simulator.sms import SmsProviderState, sms_routes
from app.errors import PROBLEM_JSON, problem_body
from app.kit.masking import mask_id_number

_YIELD_EVERY = 100


def _problem(request: Request, status: int, code: str, title: str, detail: Any) -> JSONResponse:
    text = detail if isinstance(detail, str) or detail is None else None
    extra = None if text is not None or detail is None else {"errors": detail}
    body = problem_body(request, status=status, code=code, title=title, detail=text, extra=extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _install_problem_handlers(app: FastAPI) -> None:
    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SimulatorError)
        return _problem(request, exc.status, exc.code, exc.title, exc.detail)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return _problem(request, 422, "request.invalid", "Invalid request", errors)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return _problem(request, exc.status_code, f"http.{exc.status_code}", str(exc.detail), None)

    app.add_exception_handler(SimulatorError, on_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def _bearer(authorization: str | None) -> str | None:
    if authorization is None or not authorization.lower().startswith("bearer "):
        return None
    return authorization[7:].strip()


class _Simulator:
    """Everything the routes share: settings, population, context, faults, transfers and
    disbursements."""

    def __init__(self, settings: SimulatorSettings) -> None:
        self.settings = settings
        self.population = Population(settings.seed, settings.size)
        self.context: Context = new_context(self.population)
        self.faults = FaultState(dict(settings.faults))
        self.transfers: dict[tuple[str, str, str], TransferReceipt] = {}
        self.disbursements: dict[str, DisbursementReceipt] = {}
        self.instructions: dict[tuple[str, str, str], InstructionReceipt] = {}
        self.sms = SmsProviderState()
        self.courier = CourierState(settings.courier_webhook_secret)
        self.pension_payments = PensionPayments()

    async def caller(self, request: Request) -> str:
        """Authenticate the caller and check the X-Road-style headers; return the system.

        Reads `request.headers` directly: cheaper per request than four `Header()` parameters,
        and the simulator is on the hot path of every benchmarked look-up.
        """
        return self.caller_system(request.headers, request.path_params)

    def caller_system(self, headers: Mapping[str, str], path: Mapping[str, Any]) -> str:
        """`caller` on a request's headers and path parameters (SimulatorError if refused)."""
        token = _bearer(headers.get("authorization"))
        system = None
        for known, name in self.settings.caller_tokens.items():
            if token is not None and hmac.compare_digest(token.encode(), known.encode()):
                system = name
        if system is None:
            raise SimulatorError(401, "simulator.unauthenticated", "Missing or invalid token")
        if headers.get("x-caller-system") != system:
            raise SimulatorError(400, "simulator.caller_mismatch", "X-Caller-System mismatch")
        if not headers.get("x-end-user", "").strip():
            raise SimulatorError(400, "simulator.end_user_missing", "X-End-User is required")
        purpose = headers.get("x-purpose", "").strip()
        if not purpose:
            raise SimulatorError(400, "simulator.purpose_missing", "X-Purpose is required")
        _check_purpose(purpose, path)
        return system

    def lookup_answer(self, dept: str, dataset: str, body: LookupRequest) -> bytes:
        """The JSON answer to a look-up (SimulatorError for an unknown department or dataset,
        or a subject the dataset cannot be read by); an unknown subject is found false."""
        department, ds = _dataset(dept, dataset)
        key = _key(ds, body.subject)
        fields = _fields(ds, body.model_extra, body.subject.model_extra)
        record = lookup(self.context, ds, key, fields)
        as_of = record_time(self.context, department.code, ds, key)
        answer = LookupResponse(department=department.code, dataset=ds.code,
                                source=_source(department, ds), as_of=as_of,
                                found=record is not None, record=record)  # fmt: skip
        return answer.model_dump_json().encode()

    async def admin(self, authorization: Annotated[str | None, Header()] = None) -> None:
        """Require the admin token."""
        token = _bearer(authorization) or ""
        if not hmac.compare_digest(token.encode(), self.settings.admin_token.encode()):
            raise SimulatorError(401, "simulator.unauthenticated", "Missing or invalid admin token")


def _check_purpose(purpose: str, path: Mapping[str, Any]) -> None:
    """Refuse, saying why, a purpose the exchange's policy does not know, or that may not read
    the dataset asked for (a real department answers only purposes agreed with it)."""
    try:
        if "dataset" in path and "dept" in path:
            check_purpose(purpose, path["dept"], path["dataset"])
        elif parse_purpose(purpose).kind not in DEFAULT_POLICY:
            raise PurposeNotAllowed(None, f"unknown purpose {purpose.split(':')[0]!r}")
    except (PurposeRequired, PurposeNotAllowed) as exc:
        raise SimulatorError(
            403, "simulator.purpose_refused", "The purpose is not agreed", exc.detail_en
        ) from exc


def _department(dept: str) -> Department:
    department = DEPARTMENTS.get(dept)
    if department is None:
        raise SimulatorError(404, "simulator.department_unknown", "No such department", dept)
    return department


def _dataset(dept: str, dataset: str) -> tuple[Department, Dataset]:
    department = _department(dept)
    found = department.dataset(dataset)
    if found is None:
        raise SimulatorError(404, "simulator.dataset_unknown", "No such dataset", dataset)
    return department, found


def _key(dataset: Dataset, subject: Subject) -> str:
    field = SUBJECT_KEYS[dataset.subject]
    value = getattr(subject, field)
    if not isinstance(value, str) or not value.strip():
        detail = f"dataset {dataset.code} needs subject.{field}"
        raise SimulatorError(422, "request.invalid", "Invalid request", detail)
    return value.strip()


def _fields(dataset: Dataset, *sources: dict[str, Any] | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for source in sources:
        fields.update(source or {})
    missing = [name for name in dataset.required_fields if not fields.get(name)]
    if missing:
        detail = f"dataset {dataset.code} needs {', '.join(missing)}"
        raise SimulatorError(422, "request.invalid", "Invalid request", detail)
    return fields


def _source(department: Department, dataset: Dataset) -> str:
    return f"{department.name}/{dataset.name}"


def _router(sim: _Simulator) -> APIRouter:
    caller = Depends(sim.caller)
    admin = Depends(sim.admin)
    router = APIRouter()
    admin_routes(router, sim.faults, admin)

    @router.get("/{dept}/datasets", response_model=DatasetList, dependencies=[caller])
    async def list_datasets(dept: str) -> DatasetList:
        """The datasets a department offers."""
        department = _department(dept)
        items = [
            DatasetInfo(code=d.code, name=d.name, subject=d.subject) for d in department.datasets
        ]
        return DatasetList(department=department.code, datasets=items)

    @router.post(
        "/{dept}/datasets/{dataset}/lookup", response_model=LookupResponse, dependencies=[caller]
    )
    async def lookup_one(dept: str, dataset: str, body: LookupRequest) -> Response:
        """Look up one subject; an unknown subject is found false, not an error."""
        # Serialized here: FastAPI would validate the model a second time on the way out.
        # (A well-formed look-up is answered before the router: app/adapters/simulator/fast.py.)
        answer = sim.lookup_answer(dept, dataset, body)
        return Response(answer, media_type="application/json")

    @router.post(
        "/{dept}/datasets/{dataset}/batch", response_model=BatchResponse, dependencies=[caller]
    )
    async def lookup_batch(dept: str, dataset: str, body: BatchRequest) -> BatchResponse:
        """Look up to 1,000 subjects; answers come in request order."""
        department, ds = _dataset(dept, dataset)
        field = SUBJECT_KEYS[ds.subject]
        results = []
        for number, subject in enumerate(body.subjects):
            if number and number % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let other requests run during a long batch
            key = _key(ds, subject)
            record = lookup(
                sim.context, ds, key, _fields(ds, body.model_extra, subject.model_extra)
            )
            as_of = record_time(sim.context, department.code, ds, key)
            results.append(BatchItem(subject={field: key}, found=record is not None,
                                     record=record, as_of=as_of))  # fmt: skip
        newest = max((item.as_of for item in results), default=None)
        return BatchResponse(department=department.code, dataset=ds.code,
                             source=_source(department, ds), as_of=newest or datetime.now(UTC),
                             results=results)  # fmt: skip

    @router.post(
        "/{utility}/accounts/{account_no}/transfer",
        response_model=TransferReceipt,
        dependencies=[caller],
    )
    async def transfer_account(
        utility: str, account_no: str, body: TransferRequest
    ) -> TransferReceipt:
        """Transfer a utility account to a new holder; idempotent per (account, new holder)."""
        if utility not in UTILITY_CODES:
            raise SimulatorError(404, "simulator.department_unknown", "No such utility", utility)
        new_holder = sim.population.find_person(body.new_holder_id_number)
        if new_holder is None:
            raise SimulatorError(422, "simulator.holder_unknown", "Unknown new holder")
        key = (utility, account_no, new_holder.id_number)
        if key in sim.transfers:
            return sim.transfers[key]
        dwelling = sim.context.address_book.by_account(account_no)
        if dwelling is None or getattr(dwelling.accounts, utility) != account_no:
            raise SimulatorError(404, "simulator.account_unknown", "No such account", account_no)
        holders = sim.context.holders
        previous = sim.population.person(holders.get((utility, account_no), dwelling.holder_index))
        holders[(utility, account_no)] = new_holder.index
        receipt = TransferReceipt(
            transfer_id=str(uuid.uuid4()), utility=utility, account_no=account_no,
            address=dwelling.address,
            previous_holder_id_number_masked=mask_id_number(previous.id_number),
            new_holder_id_number_masked=mask_id_number(new_holder.id_number),
            effective_date=body.effective_date, status="completed", recorded_at=datetime.now(UTC),
        )  # fmt: skip
        sim.context.changed[(utility, "account-by-address", dwelling.address)] = receipt.recorded_at
        sim.transfers[key] = receipt
        return receipt

    @router.get("/_admin/transfers", response_model=list[TransferReceipt], dependencies=[admin])
    async def list_transfers() -> list[TransferReceipt]:
        """Every account transfer the utilities recorded (a rehearsal counts them)."""
        return list(sim.transfers.values())

    @router.delete("/_admin/transfers", dependencies=[admin])
    async def reset_transfers() -> dict[str, int]:
        """Forget the transfers: every account back with its first holder (for rehearsals)."""
        forgotten = len(sim.transfers)
        sim.transfers.clear()
        sim.context.holders.clear()
        return {"forgotten": forgotten}

    pension_routes(router, sim.population, sim.pension_payments, caller, admin)
    instruction_routes(router, sim.context, sim.disbursements, sim.instructions, caller, admin)
    sms_routes(router, sim.sms, admin)
    courier_routes(router, sim.courier, caller, admin)
    return router


def create_simulator_app(settings: SimulatorSettings | None = None) -> FastAPI:
    """Build the simulated departments' ASGI app (not part of the platform's OpenAPI)."""
    sim = _Simulator(settings or SimulatorSettings())
    app = FastAPI(title="Qing e-ban simulated departments", version="1")
    _install_problem_handlers(app)
    app.include_router(_router(sim))
    app.add_middleware(FastLookupMiddleware, caller=sim.caller_system, answer=sim.lookup_answer)
    app.add_middleware(FaultMiddleware, state=sim.faults)
    app.state.simulator = sim
    return app


def run_simulator(host: str, port: int) -> None:
    """Serve the simulated departments with uvicorn (blocks until stopped)."""
    app = create_simulator_app()
    # The population and personas live as long as the process: keep them out of the garbage
    # collector's full passes, which otherwise pause every request in flight (~40 ms).
    gc.freeze()
    # No access log: a department's requests are counted by /_admin/stats instead.
    uvicorn.run(
        app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False
    )
