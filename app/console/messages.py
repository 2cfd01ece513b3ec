"""The console's Chinese words: roles, statuses, actions, flags, and what each error code means."""
from __future__ import annotations

import re
from typing import Any

from app.errors import AppError
from app.points.rules import reason_text as _reason_texts
from app.reports.models import STATUS_TEXT
from app.reports.workflow import ACTION_TEXT

ROLE = {"rider": "骑手", "grid_worker": "网格员", "secretary": "社区书记", "dispatcher": "区指挥中心",
        "department": "职能部门", "admin": "平台管理员"}
USER_STATUS = {"active": "正常", "pending": "待审核", "disabled": "已停用"}
REPORT_STATUS = STATUS_TEXT  # the same words as the phone app and the notifications
ACTION = ACTION_TEXT
FLAG = {"outside_service_area": "不在服务区域内", "exif_far_from_claim": "照片拍摄地点与上报位置相距较远",
        "stale_photo": "照片拍摄时间较早", "reused_photo": "照片曾被使用过", "burst": "短时间内多次上报"}
PLATFORM = {"meituan": "美团", "eleme": "饿了么", "sf_express": "顺丰", "jd": "京东", "dada": "达达",
            "shansong": "闪送", "other": "其他"}
CHANNEL = {"app": "应用内", "web_push": "网页推送", "sms": "短信", "wechat": "微信"}
CHANNEL_STATUS = {"seen": "已查看", "unseen": "未查看", "pending": "等待发送", "sending": "发送中",
                  "sent": "已送达", "delivered": "已送达", "failed": "发送失败", "skipped": "未发送", "gone": "已失效"}
CHANNEL_REASON = {"user_inactive": "账号已停用", "no_address": "未绑定", "opted_out": "本人已关闭",
                  "seen": "已在应用内查看",
                  "no_longer_relevant": "已接单或已改派", "no_template": "未配置模板", "quiet_hours": "免打扰时段",
                  "user_daily_cap": "已达个人每日上限", "daily_budget": "已达全平台每日预算"}
PERIOD = {"week": "本周", "month": "本月", "year": "本年", "all": "全部"}
SCOPE = {"community": "本社区", "street": "本街道", "district": "本区", "all": "全部"}
SCOPE_FOR = {"dispatcher": {"community": "一个社区"}}  # a dispatcher's "community" is one they pick
LEVEL = {"district": "区县", "street": "街道", "community": "社区", "grid": "网格", "micro_grid": "微网格"}

# What an error code means for the person at the desk (the API's own message is the fallback).
ERROR = {
    "invalid_credentials": "手机号或密码不正确。",
    "account_pending": "您的账号正在等待社区审核。",
    "account_disabled": "您的账号已被停用，请联系管理员。",
    "outside_your_area": "这不在您的辖区内。",
    "role_not_allowed": "您的角色不能进行此操作。",
    "console_role_refused": "这个页面不对您的角色开放。",
    "forbidden": "您没有权限进行此操作。",
    "not_pending": "该账号不是待审核状态，可能已被他人处理。",
    "not_a_rider": "只有骑手才有积分和审核。",
    "own_account": "不能更改自己的账号状态。",
    "user_not_found": "找不到这个用户。",
    "rider_not_found": "找不到这名骑手。",
    "report_not_found": "找不到这条上报。",
    "not_your_report": "这条上报不在您的查看范围内。",
    "not_your_assignment": "这条上报已交给别人处理。",
    "invalid_transition": "上报的状态已变化，此操作现在不可用，请刷新页面。",
    "not_a_department": "请选择本区一个正常使用的职能部门。",
    "due_in_past": "处置时限必须晚于现在。",
    "invalid_duplicate_of": "请填写这条上报所重复的原上报编号。",
    "invalid_adjustment": "请填写有效的调整分值和原因。",
    "unknown_area": "没有这个区域。",
    "area_level_mismatch": "区域级别与所选范围不符。",
    "no_area": "您的账号还没有所属区域，请联系管理员。",
    "payload_too_large": "文件太大了，请换一张较小的照片。",
    "unsupported_media_type": "只支持 JPEG、PNG、WebP 或 HEIC 照片。",
    "photo_required": "请上传一张处置后的照片。",
    "rate_limited": "尝试次数过多，请稍后再试。",
    "csrf": "页面已过期或来源不明，请刷新页面后重试。",
    "already_replied": "这条建议已经答复过了，请刷新页面查看。",
    "suggestion_not_found": "找不到这条建议。",
    "campaign_not_found": "找不到这个活动。",
    "station_not_found": "找不到这个驿站。",
    "area_not_found": "没有这个编码的社区。",
    "area_required": "请填写驿站所在社区的编码。",
    "not_a_community": "这个编码不是社区，请填写社区编码。",
    "unsupported_leaflet_type": "传单须为图片（JPEG、PNG、WebP、HEIC）或 PDF 文件。",
    "corrupt_leaflet": "PDF 文件不完整或已损坏，请重新导出后上传。",
    "corrupt_photo": "图片已损坏或不完整，请换一个文件。",
    "photo_too_many_pixels": "图片像素太高，请换一张小一些的。",
    "not_found": "找不到这个页面。",
}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def has_chinese(text: Any) -> bool:
    return isinstance(text, str) and bool(_CJK.search(text))


def error_text(exc: AppError) -> str:
    """Chinese words for an application error: ours for its code, or its own message if Chinese."""
    if exc.code in ERROR:
        return ERROR[exc.code]
    if has_chinese(exc.message):
        return exc.message
    return f"操作未能完成（{exc.code}），请检查后重试。"


def reason_text(reason: str) -> str:
    """Why a ledger entry was written, in Chinese (the points rules own the words)."""
    return _reason_texts(reason)["zh"]
