"""Admin routes of the simulator: faults and request statistics (admin token required)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.adapters.simulator.datasets import DEPARTMENTS
from app.adapters.simulator.faults import FaultState
from app.adapters.simulator.schemas import FaultsView
from app.adapters.simulator.settings import Fault


class SimulatorError(Exception):
    """An error answered as a problem document."""

    def __init__(self, status: int, code: str, title: str, detail: str | None = None) -> None:
        super().__init__(title)
        self.status, self.code, self.title, self.detail = status, code, title, detail


def admin_routes(router: APIRouter, state: FaultState, admin: Any) -> None:
    """Add the /_admin routes to a router; `admin` is the dependency checking the token."""

    def view() -> FaultsView:
        return FaultsView(faults={d: f.model_dump() for d, f in state.faults.items()})

    @router.get("/_admin/faults", response_model=FaultsView, dependencies=[admin])
    async def get_faults() -> FaultsView:
        """The faults currently injected."""
        return view()

    @router.put("/_admin/faults/{dept}", response_model=FaultsView, dependencies=[admin])
    async def put_fault(dept: str, fault: Fault) -> FaultsView:
        """Inject (or, with all zeros, remove) a department's fault."""
        if dept not in DEPARTMENTS:
            raise SimulatorError(404, "simulator.department_unknown", "No such department", dept)
        if fault.active:
            state.faults[dept] = fault
        else:
            state.faults.pop(dept, None)
        return view()

    @router.delete("/_admin/faults", response_model=FaultsView, dependencies=[admin])
    async def clear_faults() -> FaultsView:
        """Clear every fault and release hanging requests."""
        state.clear()
        return view()

    @router.get("/_admin/stats", response_model=dict[str, Any], dependencies=[admin])
    async def get_stats() -> dict[str, Any]:
        """Request counts per department and dataset since start (or the last reset)."""
        return state.stats()

    @router.delete("/_admin/stats", response_model=dict[str, Any], dependencies=[admin])
    async def reset_stats() -> dict[str, Any]:
        """Reset the request counters."""
        state.reset_stats()
        return state.stats()
