"""The delivery worker: one round drains Web Push, SMS and WeChat; run by the CLI or in-process for `make run`."""
from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from app.notifications.channels import ChannelSenders, ChannelSettings, deliver_channels
from app.notifications.delivery import DeliveryPolicy, RoundResult, deliver_due
from app.notifications.endpoints import parse_allow_list
from app.notifications.push import PushSender, WebPushSender
from app.notifications.sms import sms_sender_from
from app.notifications.wechat import wechat_client_from

log = logging.getLogger(__name__)


class NothingToDeliver(Exception):
    """No channel is configured (no VAPID key, SMS provider or Official Account), or one is misconfigured."""


@dataclass
class Deliverer:
    push: PushSender | None
    channels: ChannelSenders
    settings: ChannelSettings
    policy: DeliveryPolicy
    max_batch: int

    def run_round(self) -> list[RoundResult]:
        """One batch of each configured channel; each result says how many it claimed."""
        results = []
        if self.push is not None:
            results.append(deliver_due(sender=self.push, max_batch=self.max_batch, policy=self.policy))
        if self.channels.channels:
            results.append(deliver_channels(senders=self.channels, settings=self.settings,
                                            max_batch=self.max_batch, policy=self.policy))
        return results


def deliverer_from(config: Mapping[str, Any], *, max_batch: int) -> Deliverer:
    """A deliverer for every channel the configuration sets up; NothingToDeliver when none is."""
    timeout = float(config["PUSH_TIMEOUT_SECONDS"])
    push = None
    if config.get("VAPID_PRIVATE_KEY"):
        push = WebPushSender(private_key=config["VAPID_PRIVATE_KEY"], subject=config["VAPID_SUBJECT"],
                             ttl_seconds=int(config["PUSH_TTL_SECONDS"]), timeout_seconds=timeout,
                             allowed=parse_allow_list(config["PUSH_ALLOWED_HOSTS"]))
    try:
        channels = ChannelSenders(sms=sms_sender_from(config), wechat=wechat_client_from(config))
    except ValueError as exc:
        raise NothingToDeliver(str(exc)) from None
    if push is None and not channels.channels:
        raise NothingToDeliver("Set VAPID_PRIVATE_KEY (`flask notifications vapid-keys` makes one), "
                               "SMS_PROVIDER or WECHAT_APP_ID first.")
    policy = DeliveryPolicy(max_attempts=int(config["PUSH_MAX_ATTEMPTS"]),
                            retry_base_seconds=float(config["PUSH_RETRY_BASE_SECONDS"]),
                            retry_max_seconds=float(config["PUSH_RETRY_MAX_SECONDS"]),
                            lease_seconds=max_batch * max(timeout, float(config["SMS_TIMEOUT_SECONDS"])) + 60)
    return Deliverer(push=push, channels=channels, settings=ChannelSettings.from_config(config),
                     policy=policy, max_batch=max_batch)


def start_background_deliverer(app: Flask, *, interval_seconds: int) -> threading.Thread | None:
    """Deliver every interval in a daemon thread (for `make run`; run the CLI worker in production)."""
    try:
        deliverer = deliverer_from(app.config, max_batch=50)
    except NothingToDeliver as exc:
        log.warning("notifications are not delivered in-process: %s", exc)
        return None

    def loop() -> None:
        stop = threading.Event()
        while not stop.wait(interval_seconds):
            try:
                with app.app_context():
                    results = deliverer.run_round()
                for result in results:
                    if result.claimed:  # what was sent, skipped or deferred shows beside the SMS lines
                        print(f"[通知投递] {result.summary()}", flush=True)
            except Exception:  # keep delivering; the next round retries
                log.exception("notification delivery failed")

    thread = threading.Thread(target=loop, name="notifications-deliverer", daemon=True)
    thread.start()
    return thread
