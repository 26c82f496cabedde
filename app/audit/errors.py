"""The audit log's failures."""

from __future__ import annotations

from app.errors import InvalidInput, NotFound, ServiceUnavailable


class AuditChainHeadMissing(ServiceUnavailable):
    """The chain's head row is gone, so nothing can be recorded (and so nothing may change)."""

    code = "audit.chain_head_missing"
    title_zh = "审计链头缺失，暂停写入"
    title_en = "The audit chain head is missing; changes are suspended"


class SubjectIdWithoutType(InvalidInput):
    """A subject id means nothing without its subject type."""

    code = "audit.subject_id_without_type"
    title_zh = "按对象编号查询时须同时指定对象类型"
    title_en = "subject_id requires subject_type"


class CheckpointStoreNotConfigured(NotFound):
    """No checkpoint store is configured (QE_AUDIT_CHECKPOINT_PATH), so there are none."""

    code = "audit.checkpoints_not_configured"
    title_zh = "未配置审计链检查点存储"
    title_en = "No audit checkpoint store is configured"


class CheckpointStoreUnavailable(ServiceUnavailable):
    """The configured checkpoint store cannot be read or written; verifying without it would
    silently drop the chain's anchor."""

    code = "audit.checkpoint_store_unavailable"
    title_zh = "审计链检查点存储不可用"
    title_en = "The audit checkpoint store is unavailable"
