"""The one Switchboard stack: constructs are built here, wired together, and granted what they need."""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, CfnRule, CfnRuleAssertion, Duration, Environment, Fn, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct

from switchboard.audit import AUDIT_DENY_STATEMENT
from switchboard.hipaa import ENV_BAA_PROVIDERS
from switchboard.resources import (
    ENV_BUCKET,
    ENV_CARRIER_SECRET,
    ENV_EVENT_BUS,
    ENV_MEDIA_WSS_URL,
    ENV_OPERATOR_SECRET,
    ENV_PROVIDER_SECRET,
    ENV_PUBLIC_API_URL,
    ENV_STAGE,
    ENV_STREAM_TOKEN_SECRET,
    ENV_TABLE,
    HTTP_ROUTES,
    METRIC_NAMESPACE,
    PROVIDER_KEY_ENV,
    RULES,
)

from .api import TOOL_INVOKE_ROUTE, HttpApi
from .config import StageConfig
from .events import EventBus
from .functions import FUNCTION_SPECS, Functions
from .media import MediaWorkerService
from .monitoring import Monitoring
from .nag import acknowledge_findings
from .secrets import (
    CARRIER_CREDENTIALS,
    TENANT_SECRET_MANAGE,
    TENANT_SECRET_READ,
    Secrets,
    tenant_credential_arn,
    tenant_secrets_arn,
)
from .storage import RECORDING_SCRATCH, Storage

ENV_HIPAA_KMS_KEY = "SWITCHBOARD_HIPAA_KMS_KEY_ARN"
"""Read by the worker (``runtime.call_compliance``) and post_call (``services``); set only when the stage has one."""
ERASURE_LIST_ACTIONS = ["s3:ListBucket", "s3:ListBucketVersions"]
ERASURE_DELETE_ACTIONS = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
RECORDING_OBJECT_ACTIONS = [
    # media_worker/runtime/uploader.py and transcript_store.py: put_object with Tagging (+ PutObjectTagging),
    # get_object (manifest, segments), multipart create/upload/complete (PutObject) and abort
    "s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:AbortMultipartUpload",
]  # fmt: skip
SSE_KMS_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"]  # put, and get + multipart upload under SSE-KMS


def _queue_visibility_for(consumer: str) -> Duration:
    """SQS visibility must outlast the consumer's timeout; AWS recommends six times it."""
    timeout = next(spec.timeout for spec in FUNCTION_SPECS if spec.name == consumer)
    return Duration.seconds(timeout.to_seconds() * 6)


class SwitchboardStack(Stack):
    """Attributes: config, storage, secrets, functions, events, api, media, monitoring."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            # Region only: the account stays unresolved so synthesis never needs credentials or lookups.
            env=Environment(region=config.region),
            description=f"Switchboard voice agents ({config.name})",
        )
        self.config = config
        if config.account:
            self._pin_account(config.account)

        self.storage = Storage(
            self,
            "Storage",
            production=config.production,
            access_log_retention_days=config.log_retention_days,
        )
        self.secrets = Secrets(self, "Secrets", encryption_key=self.storage.data_key)
        self.functions = Functions(self, "Functions", stage=config.name, log_retention=config.log_retention)
        consumers = {spec.consumer for spec in RULES}
        self.events = EventBus(
            self,
            "Events",
            archive_retention=Duration.days(config.retention_days),
            queue_visibility_timeout=max((_queue_visibility_for(name) for name in consumers),
                                         key=lambda duration: duration.to_seconds()),
        )
        for spec in RULES:
            self.functions.by_name[spec.consumer].add_event_source(
                event_sources.SqsEventSource(
                    self.events.queues[spec.name],
                    batch_size=10,
                    max_batching_window=Duration.seconds(5),
                    report_batch_item_failures=True,
                )
            )

        self.api = HttpApi(
            self,
            "HttpApi",
            handlers={function: self.functions.by_name[function] for _, _, function in HTTP_ROUTES},
            authorizer_function=self.functions.authorizer,
            log_retention=config.log_retention,
        )
        media_wss_url = f"wss://{config.media_domain}"

        self.media = MediaWorkerService(
            self,
            "MediaWorker",
            stage=config.name,
            certificate_arn=config.certificate_arn,
            min_tasks=config.min_tasks,
            max_tasks=config.max_tasks,
            calls_per_task=config.calls_per_task,
            deregistration_delay=Duration.seconds(config.deregistration_delay_seconds),
            nat_gateways=2 if config.production else 1,
            log_retention=config.log_retention,
            access_logs_bucket=self.storage.access_logs_bucket,
            environment={
                ENV_STAGE: config.name,
                ENV_TABLE: self.storage.table.table_name,
                ENV_BUCKET: self.storage.bucket.bucket_name,
                ENV_EVENT_BUS: self.events.bus.event_bus_name,
                ENV_STREAM_TOKEN_SECRET: self.secrets.stream_token_signing_key.secret_arn,
                ENV_CARRIER_SECRET: self.secrets.carrier.secret_arn,
                ENV_PUBLIC_API_URL: self.api.url,
                ENV_MEDIA_WSS_URL: media_wss_url,
                "POWERTOOLS_SERVICE_NAME": "media_worker",
                "POWERTOOLS_METRICS_NAMESPACE": METRIC_NAMESPACE,
            },
            secrets={
                env: ecs.Secret.from_secrets_manager(self.secrets.provider_keys, field)
                for field, env in PROVIDER_KEY_ENV.items()
            },
        )

        self._configure_functions(media_wss_url)
        self._grant_media_worker()
        self._configure_compliance()
        for role in self.table_writer_roles():
            # Issue 10: the audit trail is append-only for application code (switchboard.audit).
            role.add_to_principal_policy(iam.PolicyStatement.from_json(AUDIT_DENY_STATEMENT))

        self.monitoring = Monitoring(
            self,
            "Monitoring",
            stage=config.name,
            functions=self.functions.by_name,
            dead_letter_queues=self.events.all_dead_letter_queues,
            latency_p95_threshold_ms=config.voice_to_voice_p95_alarm_ms,
            alarm_email=config.alarm_email,
        )

        CfnOutput(self, "ApiUrl", value=self.api.url, description="Carrier webhooks and admin API base URL")
        CfnOutput(self, "MediaWssUrl", value=media_wss_url, description="Media streams (point DNS at the ALB)")
        CfnOutput(self, "MediaLoadBalancerDns", value=self.media.load_balancer.load_balancer_dns_name,
                  description=f"CNAME/alias target for {config.media_domain}")
        CfnOutput(self, "ProviderKeysSecretArn", value=self.secrets.provider_keys.secret_arn)
        CfnOutput(self, "CarrierSecretArn", value=self.secrets.carrier.secret_arn)

        acknowledge_findings(self)

    def table_writer_roles(self) -> list[iam.IRole]:
        """Every application role (all functions and the worker's task role); each gets the audit deny."""
        roles = [fn.role for fn in self.functions.by_name.values() if fn.role is not None]
        return [*roles, self.media.task_role]

    def _pin_account(self, account: str) -> None:
        """Fails the deployment (not the synth) when credentials point at another account."""
        CfnRule(
            self,
            "DeployToConfiguredAccount",
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_equals(Aws.ACCOUNT_ID, account),
                    assert_description=f"Stage {self.config.name} deploys only into account {account}",
                )
            ],
        )

    def _configure_functions(self, media_wss_url: str) -> None:
        storage, secrets, fns, bus = self.storage, self.secrets, self.functions, self.events.bus
        for fn in fns.by_name.values():
            fn.add_environment(ENV_TABLE, storage.table.table_name)

        fns.call_setup.add_environment(ENV_EVENT_BUS, bus.event_bus_name)
        fns.call_setup.add_environment(ENV_STREAM_TOKEN_SECRET, secrets.stream_token_signing_key.secret_arn)
        fns.call_setup.add_environment(ENV_CARRIER_SECRET, secrets.carrier.secret_arn)
        fns.call_setup.add_environment(ENV_MEDIA_WSS_URL, media_wss_url)
        fns.call_setup.add_environment(ENV_PUBLIC_API_URL, self.api.url)
        storage.table.grant_read_write_data(fns.call_setup)
        bus.grant_put_events_to(fns.call_setup)
        secrets.stream_token_signing_key.grant_read(fns.call_setup)
        secrets.carrier.grant_read(fns.call_setup)

        self._grant_tenant_secrets(fns.call_setup, TENANT_SECRET_READ)  # webhooks from a tenant's own Twilio account

        fns.tool_call.add_environment(ENV_EVENT_BUS, bus.event_bus_name)
        storage.table.grant_read_write_data(fns.tool_call)
        bus.grant_put_events_to(fns.tool_call)
        self._grant_tenant_secrets(fns.tool_call, TENANT_SECRET_READ)  # tool signing secrets

        fns.post_call.add_environment(ENV_EVENT_BUS, bus.event_bus_name)
        fns.post_call.add_environment(ENV_BUCKET, storage.bucket.bucket_name)
        fns.post_call.add_environment(ENV_PROVIDER_SECRET, secrets.provider_keys.secret_arn)
        fns.post_call.add_environment(ENV_PUBLIC_API_URL, self.api.url)
        storage.table.grant_read_write_data(fns.post_call)
        self._grant_objects(fns.post_call, read=True, write=True)
        bus.grant_put_events_to(fns.post_call)
        secrets.provider_keys.grant_read(fns.post_call)
        self._grant_tenant_secrets(fns.post_call, TENANT_SECRET_READ)  # tenant CRM credentials

        fns.admin_api.add_environment(ENV_EVENT_BUS, bus.event_bus_name)
        fns.admin_api.add_environment(ENV_BUCKET, storage.bucket.bucket_name)
        fns.admin_api.add_environment(ENV_OPERATOR_SECRET, secrets.operator_key.secret_arn)
        fns.admin_api.add_environment(ENV_PUBLIC_API_URL, self.api.url)
        fns.admin_api.add_environment(ENV_CARRIER_SECRET, secrets.carrier.secret_arn)
        storage.table.grant_read_write_data(fns.admin_api)
        self._grant_objects(fns.admin_api, read=True)  # presigned recording URLs
        self._grant_erasure(fns.admin_api)
        bus.grant_put_events_to(fns.admin_api)
        secrets.operator_key.grant_read(fns.admin_api)
        secrets.carrier.grant_read(fns.admin_api)  # buys/configures numbers with the platform carrier account
        self._grant_tenant_secrets(fns.admin_api, TENANT_SECRET_MANAGE)  # PUT/DELETE /v1/credentials, own Twilio

        fns.authorizer.add_environment(ENV_OPERATOR_SECRET, secrets.operator_key.secret_arn)
        storage.table.grant_read_data(fns.authorizer)
        secrets.operator_key.grant_read(fns.authorizer)

    def _grant_tenant_secrets(self, grantee: iam.IGrantable, actions: tuple[str, ...]) -> None:
        """``actions`` on every tenant's secrets (``switchboard/{stage}/tenants/*``), nothing else."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=list(actions), resources=[tenant_secrets_arn(self, self.config.name)])
        )

    def _grant_objects(self, grantee: iam.IGrantable, *, read: bool = False, write: bool = False) -> None:
        """Single-object access to ``tenants/*`` of the recordings bucket (expiry is the lifecycle's job)."""
        s3_actions = (["s3:GetObject"] if read else []) + (["s3:PutObject"] if write else [])
        kms_actions = (["kms:Decrypt"] if read else []) + (["kms:GenerateDataKey"] if write else [])
        grantee.grant_principal.add_to_principal_policy(self.storage.objects_statement(s3_actions))
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=kms_actions, resources=[self.storage.data_key.key_arn])
        )

    def _grant_erasure(self, grantee: iam.IGrantable) -> None:
        """GDPR erasure (``switchboard.gdpr.delete_call``): list every version under a call's prefix and delete
        them. Only the admin API gets this, and only under ``tenants/``: erasure is a legal duty, so it may
        remove versions, which no other role can."""
        principal = grantee.grant_principal
        principal.add_to_principal_policy(self.storage.listing_statement(ERASURE_LIST_ACTIONS))
        principal.add_to_principal_policy(self.storage.objects_statement(ERASURE_DELETE_ACTIONS))

    def _grant_recording(self, grantee: iam.IGrantable) -> None:
        """The worker's recordings and transcripts: write and read back objects under ``tenants/``; list and
        delete only its own segment scratch area (``RECORDING_SCRATCH``), never an assembled recording."""
        principal = grantee.grant_principal
        principal.add_to_principal_policy(self.storage.objects_statement(RECORDING_OBJECT_ACTIONS))
        principal.add_to_principal_policy(self.storage.objects_statement(["s3:DeleteObject"], RECORDING_SCRATCH))
        principal.add_to_principal_policy(self.storage.listing_statement(["s3:ListBucket"], RECORDING_SCRATCH))
        principal.add_to_principal_policy(
            iam.PolicyStatement(actions=SSE_KMS_ACTIONS, resources=[self.storage.data_key.key_arn])
        )

    def _configure_compliance(self) -> None:
        """The stage's HIPAA key and BAA list (``hipaa_kms_key_arn``, ``baa_providers``) to the runtimes."""
        config, fns = self.config, self.functions
        container = self.media.container
        for fn in (fns.admin_api, fns.post_call):
            if config.hipaa_kms_key_arn:
                fn.add_environment(ENV_HIPAA_KMS_KEY, config.hipaa_kms_key_arn)
            if config.baa_providers:
                fn.add_environment(ENV_BAA_PROVIDERS, ",".join(config.baa_providers))
        if config.hipaa_kms_key_arn:
            container.add_environment(ENV_HIPAA_KMS_KEY, config.hipaa_kms_key_arn)
        if config.baa_providers:
            container.add_environment(ENV_BAA_PROVIDERS, ",".join(config.baa_providers))
        # The worker writes (and assembles, which reads back) HIPAA objects; the admin API presigns their
        # GETs, which S3 decrypts as the admin API. post_call reads no object, so it gets no key access.
        self._grant_hipaa_key(self.media.task_role, SSE_KMS_ACTIONS)
        self._grant_hipaa_key(fns.admin_api, ["kms:Decrypt"])

    def _grant_hipaa_key(self, grantee: iam.IGrantable, actions: list[str]) -> None:
        """``actions`` on the stage's HIPAA key, only through S3 in the stage's region."""
        if not self.config.hipaa_kms_key_arn:
            return
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=actions,
                resources=[self.config.hipaa_kms_key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{self.config.region}.amazonaws.com"}},
            )
        )

    def _grant_media_worker(self) -> None:
        role = self.media.task_role
        self.storage.table.grant_read_write_data(role)
        self._grant_recording(role)
        self.events.bus.grant_put_events_to(role)
        self.secrets.stream_token_signing_key.grant_read(role)
        # REST call control (runtime/carrier_accounts.py): transfers and hang-ups through the account that owns the
        # number, a tenant's own Twilio/Telnyx credentials if stored, else the platform carrier secret. Only
        # those two credentials: the internet-facing worker never reads tenants' CRM or tool secrets.
        self.secrets.carrier.grant_read(role)
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=list(TENANT_SECRET_READ),
            resources=[tenant_credential_arn(self, self.config.name, provider) for provider in CARRIER_CREDENTIALS],
        ))
        # Tool calls go through POST /tools/invoke (SigV4, IAM authorizer), never a direct Lambda invoke.
        self.api.grant_invoke_route(role, *TOOL_INVOKE_ROUTE)
        role.add_to_principal_policy(self.media.task_protection_statement())
