"""cdk-nag (AwsSolutions) findings that remain by design, each acknowledged on its narrowest construct.

Every acknowledgment names one finding (rule id plus, for granular rules, the exact action or resource)
and says why it stays. Finding ids that mention a resource are computed from that resource's logical
id, never hard-coded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from .api import IAM_ROUTES
from .secrets import CARRIER_CREDENTIALS, tenant_credential_name_pattern, tenant_secret_name_pattern
from .storage import RECORDING_SCRATCH, TENANT_OBJECTS

if TYPE_CHECKING:
    from .stack import SwitchboardStack

XRAY = "X-Ray PutTraceSegments/PutTelemetryRecords (Tracing.ACTIVE) support no resource-level permissions."
TABLE_KEY = ("CDK's DynamoDB grant on the table's customer-managed key adds kms:GenerateDataKey*/ReEncrypt*; "
             "the statement is scoped to that one key ARN.")
TABLE_INDEXES = "Queries use the table's GSIs; the wildcard covers only this table's indexes (table/<name>/index/*)."
BUCKET_OBJECTS = ("Object keys are per tenant and call (tenants/<tenant>/calls/<call>/...), created at run time; "
                  "the wildcard covers only this bucket's tenants/ prefix.")
RECORDING_SCRATCH_OBJECTS = ("The worker deletes a call's recording segments and manifest once it has assembled them; "
                             "the wildcard covers only tenants/<tenant>/calls/<call>/recording/ (scratch), never "
                             "an assembled recording or a transcript.")
ERASURE = ("GDPR erasure (admin API, a legal duty) deletes every version of a call's objects; the wildcard covers "
           "only this bucket's tenants/ prefix, and listing is conditioned on the same prefix.")


TENANT_SECRETS = ("Tenant credentials and tool signing secrets are created per tenant at run time by the admin API; "
                  "the wildcard covers only this stage's tenants/ prefix (tool_call additionally confines each tool "
                  "to its own tenant's names).")
TENANT_SECRET_USERS = ("call_setup", "tool_call", "post_call", "admin_api")
TENANT_CARRIER_CREDENTIALS = (
    "A tenant's own Twilio/Telnyx credentials are created per tenant at run time by the admin API; the worker "
    "reads them for transfers and hang-ups, and the wildcard covers only this stage's tenants' secrets of that "
    "one provider."
)

PLUGIN = "AwsSolutions"


def _ack(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledges one finding, qualified by the plugin that reports it (``AwsSolutions::<finding>``)."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PLUGIN}::{finding}", reason=reason))


def _policy(role: iam.IRole) -> IConstruct:
    """The role's DefaultPolicy: the narrowest construct carrying the grant statements."""
    return role.node.find_child("DefaultPolicy")


def _ref(stack: Stack, resource: IConstruct, attribute: str | None = None) -> str:
    """How cdk-nag prints ``Ref``/``Fn::GetAtt`` of ``resource`` in a finding id, e.g. ``<TableB43FDCE7.Arn>``."""
    cfn = resource.node.default_child
    assert isinstance(cfn, CfnElement)
    logical_id = stack.resolve(stack.get_logical_id(cfn))
    return f"<{logical_id}.{attribute}>" if attribute else f"<{logical_id}>"


def acknowledge_findings(stack: SwitchboardStack) -> None:
    table_indexes = f"AwsSolutions-IAM5[Resource::{_ref(stack, stack.storage.table, 'Arn')}/index/*]"
    bucket_objects = f"AwsSolutions-IAM5[Resource::{_ref(stack, stack.storage.bucket, 'Arn')}/{TENANT_OBJECTS}]"
    tenant_secrets = (f"AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:{stack.region}:<AWS::AccountId>:secret:"
                      f"{tenant_secret_name_pattern(stack.config.name)}]")

    for name, fn in stack.functions.by_name.items():
        assert fn.role is not None
        policy = _policy(fn.role)
        _ack(fn, "AwsSolutions-L1", "Python 3.13 is the project's pinned runtime, shared with the worker image "
                                    "and the layer's manylinux cp313 wheels; runtime upgrades are deliberate.")
        _ack(policy, "AwsSolutions-IAM5[Resource::*]", XRAY)
        _ack(policy, table_indexes, TABLE_INDEXES)
        if name != "authorizer":  # the authorizer only reads, which needs kms:Decrypt alone
            _ack(policy, "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]", TABLE_KEY)
            _ack(policy, "AwsSolutions-IAM5[Action::kms:ReEncrypt*]", TABLE_KEY)
        if name == "post_call":
            _ack(policy, bucket_objects, BUCKET_OBJECTS)
        if name == "admin_api":  # presigned reads and GDPR erasure share the one tenants/* resource
            _ack(policy, bucket_objects, f"{BUCKET_OBJECTS} {ERASURE}")
        if name in TENANT_SECRET_USERS:
            _ack(policy, tenant_secrets, TENANT_SECRETS)

    media = stack.media
    task_policy = _policy(media.task_role)
    _ack(task_policy, table_indexes, TABLE_INDEXES)
    _ack(task_policy, "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]", TABLE_KEY)
    _ack(task_policy, "AwsSolutions-IAM5[Action::kms:ReEncrypt*]", TABLE_KEY)
    _ack(task_policy, bucket_objects, BUCKET_OBJECTS)
    for provider in CARRIER_CREDENTIALS:
        _ack(task_policy, f"AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:{stack.region}:<AWS::AccountId>:secret:"
                          f"{tenant_credential_name_pattern(stack.config.name, provider)}]", TENANT_CARRIER_CREDENTIALS)
    _ack(task_policy, f"AwsSolutions-IAM5[Resource::{_ref(stack, stack.storage.bucket, 'Arn')}/{RECORDING_SCRATCH}]",
         RECORDING_SCRATCH_OBJECTS)
    task_arns = (f"AwsSolutions-IAM5[Resource::arn:aws:ecs:{stack.region}:<AWS::AccountId>:task/"
                 f"{_ref(stack, media.cluster)}/*]")
    _ack(task_policy, task_arns, "Task scale-in protection targets the task's own id, unknown until it runs; "
                                 "the ARN is limited to tasks of this cluster.")
    assert media.task_definition.execution_role is not None
    _ack(_policy(media.task_definition.execution_role), "AwsSolutions-IAM5[Resource::*]",
         "ecr:GetAuthorizationToken (image pull) supports no resource-level permissions.")
    _ack(media.task_definition, "AwsSolutions-ECS2",
         "Plain environment holds only non-secret settings (resource names, ARNs, URLs, stage); provider keys "
         "arrive as ECS secrets from Secrets Manager.")
    _ack(media.load_balancer.connections.security_groups[0], "AwsSolutions-EC23",
         "Twilio and Telnyx connect from changing public addresses, so the TLS listener (443 only) is public; "
         "every stream is authenticated with a signed stream token.")

    for (method, path), route in stack.api.routes.items():
        if route.node.try_find_child("Resource") is None or (method, path) == ("ANY", "/v1/{proxy+}"):
            continue
        if (method, path) in IAM_ROUTES:  # IAM authorizer: APIG4 is satisfied
            continue
        reason = {
            "/twilio/voice": "Twilio webhook: no API key possible; the handler verifies X-Twilio-Signature.",
            "/twilio/status": "Twilio webhook: no API key possible; the handler verifies X-Twilio-Signature.",
            "/telnyx/webhook": "Telnyx webhook: the handler verifies the Ed25519 signature and timestamp.",
            "/v1/openapi.json": "Public, read-only API description; contains no tenant data.",
        }[path]
        _ack(route, "AwsSolutions-APIG4", reason)

    secrets = stack.secrets
    _ack(secrets.provider_keys, "AwsSolutions-SMG4",
         "Vendor-issued API keys (Deepgram/OpenAI/Cartesia) cannot be rotated by a rotation Lambda; rotate in "
         "the vendor console, then put-secret-value.")
    _ack(secrets.carrier, "AwsSolutions-SMG4",
         "Twilio auth token and Telnyx public key are issued by the carriers; rotated in their consoles.")
    _ack(secrets.stream_token_signing_key, "AwsSolutions-SMG4",
         "Rotation is a manual runbook step: tokens live minutes, and a scheduled rotation would cut live "
         "calls whose token was signed with the previous key.")
    _ack(secrets.operator_key, "AwsSolutions-SMG4",
         "Operator key is rotated manually by the operator (put-secret-value); no service depends on a schedule.")

    _ack(stack.events.delivery_dead_letter_queue, "AwsSolutions-SQS3",
         "This queue is itself a dead-letter destination (EventBridge target delivery failures).")
