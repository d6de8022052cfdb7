"""The demo's data, written with the platform's own store functions (as the admin API would).

- tenant ``tn_demo`` (private tool URLs allowed: the ticket desk is on loopback), and an API key;
- assistant ``as_support`` from the ``offline-local`` template with a support-agent prompt, providers
  per the :class:`~devstack.providers.ProviderPlan`, the ``create_support_ticket`` tool pointing at
  the demo webhook, and HubSpot as its CRM (the access token in the tenant's ``hubspot`` secret);
- a Twilio number routed to it;
- the carrier secret call setup verifies Twilio signatures with (``twilio_auth_token``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from switchboard.models import Assistant, PhoneNumber, Tenant
from switchboard.store import attach_number, create_assistant, create_tenant, issue_api_key, put_credentials
from switchboard.templates import apply_template

TENANT_ID = "tn_demo"
ASSISTANT_ID = "as_support"
DEMO_NUMBER = "+14155550199"
DEMO_CALLER = "+14155550123"
SYSTEM_PROMPT = (
    "You are Sam, the support agent of Acme Office Supplies, on the phone. Help callers with broken "
    "office equipment. Be brief and friendly. When the caller asks for a ticket, call "
    "create_support_ticket with a short summary of the problem; then tell them the ticket number."
)
FIRST_MESSAGE = "Hello, this is Acme support. How can I help you today?"
TICKET_TOOL: dict[str, Any] = {
    "name": "create_support_ticket",
    "description": "Open a support ticket for the caller's problem.",
    "parameters": {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "The problem in a few words."},
            "priority": {"type": "string", "enum": ["low", "medium", "high"]},
        },
        "required": ["summary", "priority"],
    },
    "timeout_ms": 5000,
    "filler_phrase": "One moment while I open that ticket.",
}


@dataclass(frozen=True)
class DemoData:
    tenant_id: str
    assistant_id: str
    number: str
    caller_number: str
    api_key: str = field(repr=False)
    assistant: Assistant = field(repr=False)


def demo_assistant(provider_fields: dict[str, Any], tool_url: str) -> Assistant:
    fields = {
        "assistant_id": ASSISTANT_ID, "tenant_id": TENANT_ID, "name": "Acme support (demo)",
        "system_prompt": SYSTEM_PROMPT, "first_message": FIRST_MESSAGE,
        "tools": [{**TICKET_TOOL, "webhook_url": tool_url}],
        "crm": {"provider": "hubspot"},
        **provider_fields,
    }  # fmt: skip
    return Assistant.from_wire(apply_template("offline-local", fields))


def put_carrier_secret(endpoint_url: str, region: str, prefix: str, twilio_auth_token: str) -> str:
    """The platform carrier secret (``SWITCHBOARD_CARRIER_SECRET_ARN``); ``local_aws.provision`` does not make it."""
    client = boto3.client("secretsmanager", endpoint_url=endpoint_url, region_name=region)
    value = json.dumps({"twilio_auth_token": twilio_auth_token})
    arn: str = client.create_secret(Name=f"{prefix}/carrier", SecretString=value)["ARN"]
    return arn


def put_provider_keys(endpoint_url: str, region: str, secret_arn: str, keys: dict[str, str]) -> None:
    """The platform provider-keys secret (post-call analysis reads ``openai`` from it)."""
    client = boto3.client("secretsmanager", endpoint_url=endpoint_url, region_name=region)
    client.put_secret_value(SecretId=secret_arn, SecretString=json.dumps(keys))


def seed(
    table: Any, secrets_client: Any, *, stage: str, assistant: Assistant, hubspot_token: str,
    number: str = DEMO_NUMBER,
) -> DemoData:  # fmt: skip
    create_tenant(table, Tenant(tenant_id=TENANT_ID, name="Acme Office Supplies (demo)", allow_private_tool_urls=True))
    issued = issue_api_key(table, TENANT_ID, name="demo")
    put_credentials(table, secrets_client, stage=stage, tenant_id=TENANT_ID, provider="hubspot",
                    values={"access_token": hubspot_token})  # fmt: skip
    create_assistant(table, TENANT_ID, assistant)
    attach_number(table, TENANT_ID, PhoneNumber(number=number, tenant_id=TENANT_ID, carrier="twilio",
                                                assistant_id=ASSISTANT_ID))  # fmt: skip
    return DemoData(TENANT_ID, ASSISTANT_ID, number, DEMO_CALLER, issued.secret, assistant)
