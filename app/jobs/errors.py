"""Errors of the jobs domain."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class JobNotFound(NotFound):
    code = "jobs.not_found"
    title_zh = "任务不存在"
    title_en = "Job not found"


class JobNotDead(Conflict):
    code = "jobs.not_dead"
    title_zh = "只有已失败（dead）的任务可以重试"
    title_en = "Only a dead job can be retried"
