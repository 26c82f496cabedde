"""Staff members: clerks, department admins, platform admins and auditors."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import passwords, repository
from app.auth.accounts import Actor
from app.auth.errors import StaffLoginTaken, StaffNotFound, WeakPassword
from app.auth.models import StaffMember
from app.auth.opaque import new_secret
from app.auth.schemas import StaffCreate, StaffCreated, StaffRead
from app.config import Settings
from app.errors import InvalidCursor
from app.kit import pagination
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.services.catalog import service as catalog

# Staff passwords guard other people's data: longer than a citizen's.
STAFF_MIN_PASSWORD = 12


async def create(
    session: AsyncSession,
    settings: Settings,
    data: StaffCreate,
    *,
    audit_context: AuditContext,
    actor: Actor,
) -> StaffCreated:
    """A staff member of an existing department; a password is generated when none is given."""
    await catalog.require_department(session, data.department_code, param="body.department_code")
    if await repository.staff_by_login(session, data.login) is not None:
        raise StaffLoginTaken(f"账号 {data.login} 已存在", f"the login {data.login!r} is taken")
    generated = data.password is None
    password = new_secret(18) if data.password is None else data.password
    try:
        passwords.check_policy(password, min_length=STAFF_MIN_PASSWORD)
    except passwords.WeakPassword as exc:
        raise WeakPassword(
            f"工作人员密码至少 {STAFF_MIN_PASSWORD} 位，且包含数字、字母、符号中的至少两类",
            str(exc),
        ) from exc
    now = utcnow()
    member = StaffMember(
        id=new_id(),
        login=data.login,
        name=data.name,
        role=data.role.value,
        department_code=data.department_code,
        password_hash=await passwords.hash_password(password),
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, member)
    await audit.record(
        session,
        audit_context.entry(
            actor_type=actor[0],
            actor_id=actor[1],
            action="auth.staff_created",
            subject_type="staff_member",
            subject_id=str(member.id),
            after={
                "login": member.login,
                "role": member.role,
                "department": member.department_code,
            },
        ),
    )
    read = StaffRead.model_validate(member)
    return StaffCreated(**read.model_dump(), initial_password=password if generated else None)


async def get(session: AsyncSession, staff_id: uuid.UUID) -> StaffRead:
    """A staff member by id, or StaffNotFound."""
    member = await repository.staff_member(session, staff_id)
    if member is None:
        raise StaffNotFound("工作人员不存在", "no such staff member")
    return StaffRead.model_validate(member)


async def list_page(
    session: AsyncSession, *, department: str | None, cursor: str | None, limit: int
) -> pagination.Page[StaffRead]:
    """Staff members ordered by login, optionally of one department."""
    after: str | None = None
    if cursor is not None:
        try:
            (value,) = pagination.decode_cursor(cursor, arity=1)
        except pagination.InvalidCursor as exc:
            raise InvalidCursor("分页游标无效", "the cursor is malformed") from exc
        if not isinstance(value, str):
            raise InvalidCursor("分页游标无效", "the cursor does not belong to this list")
        after = value
    rows = await repository.list_staff(session, department=department, after=after, limit=limit + 1)
    page = [StaffRead.model_validate(row) for row in rows[:limit]]
    next_cursor = pagination.encode_cursor([page[-1].login]) if len(rows) > limit else None
    return pagination.Page[StaffRead](items=page, next_cursor=next_cursor)
