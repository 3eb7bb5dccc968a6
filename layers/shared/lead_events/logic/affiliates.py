"""Affiliates: saving them (postback URL checked like any postback's) and Send Test."""

from __future__ import annotations

import re

from lead_events.clock import utc_now
from lead_events.errors import Unprocessable
from lead_events.logic.deliveries import affiliate_postback
from lead_events.logic.postbacks import TestResult, check_postback_target, fire_test
from lead_events.models.affiliates import Affiliate, AffiliatePut
from lead_events.models.leads import ID_PATTERN
from lead_events.store.affiliates import AffiliateNotFound, AffiliateStore


def put_affiliate(store: AffiliateStore, org_id: str, affiliate_id: str, data: AffiliatePut) -> Affiliate:
    if not re.fullmatch(ID_PATTERN, affiliate_id):
        raise Unprocessable(f"'{affiliate_id[:128]}' is not an affiliate id: 1 to 128 letters, digits and . _ : @ -.")
    if data.postback_url is not None:
        check_postback_target(data.postback_url, data.body, {})
    now = utc_now()
    try:
        created_at = store.get(org_id, affiliate_id).created_at
    except AffiliateNotFound:
        created_at = now
    affiliate = Affiliate(**data.model_dump(), affiliate_id=affiliate_id, created_at=created_at, updated_at=now)
    store.put(org_id, affiliate)
    return affiliate


def send_test(store: AffiliateStore, org_id: str, affiliate_id: str) -> TestResult:
    affiliate = store.get(org_id, affiliate_id)
    if not affiliate.postback_url:
        raise Unprocessable("This affiliate has no postback_url to test.")
    return fire_test(affiliate_postback(affiliate), event="affiliate_test", signing_secret=None)
