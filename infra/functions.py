"""The Lambda functions (Python 3.13, Powertools, X-Ray) and their shared dependency layer."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from switchboard.resources import ENV_STAGE, METRIC_NAMESPACE

from .assets import dependency_layer_code, function_code

RUNTIME = lambda_.Runtime.PYTHON_3_13


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    description: str
    timeout: Duration
    memory_mb: int = 512


FUNCTION_SPECS: tuple[FunctionSpec, ...] = (
    FunctionSpec("call_setup", "Carrier webhooks: answer calls, hand the media stream to the worker",
                 Duration.seconds(10)),
    FunctionSpec("tool_call", "Runs an assistant tool call for the media worker", Duration.seconds(30)),
    FunctionSpec("post_call", "After a call: analysis, cost, CRM writeback", Duration.minutes(2), memory_mb=1024),
    FunctionSpec("admin_api", "Admin REST API under /v1", Duration.seconds(15)),
    FunctionSpec("authorizer", "HTTP API authorizer: checks tenant API keys", Duration.seconds(5), memory_mb=256),
)


def pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def handler_path(name: str) -> str:
    return f"functions.{name}.handler.lambda_handler"


class Functions(Construct):
    """Attributes:
    layer: pip dependencies of every function (``functions/requirements.txt``).
    by_name: every function keyed by its folder name under ``functions/``.
    call_setup, tool_call, post_call, admin_api, authorizer: the same functions, by attribute.

    Every function is invoked synchronously (API Gateway, the SQS event source), so none has an
    asynchronous on-failure destination or retry settings: tool calls reach ``tool_call`` through the
    IAM-authorised ``POST /tools/invoke`` route, and the worker answers their failures in the call.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        log_retention: logs.RetentionDays,
        specs: tuple[FunctionSpec, ...] = FUNCTION_SPECS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.layer = lambda_.LayerVersion(
            self,
            "DependencyLayer",
            code=dependency_layer_code(),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description="Switchboard Lambda dependencies (functions/requirements.txt)",
        )
        self.by_name: dict[str, lambda_.Function] = {}
        for spec in specs:
            log_group = logs.LogGroup(
                self,
                f"{pascal(spec.name)}Logs",
                retention=log_retention,
                removal_policy=RemovalPolicy.DESTROY,
            )
            # Own role instead of AWSLambdaBasicExecutionRole: logs may go to this function's group only.
            role = iam.Role(
                self,
                f"{pascal(spec.name)}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"Switchboard {spec.name} function",
            )
            log_group.grant_write(role)
            self.by_name[spec.name] = lambda_.Function(
                self,
                pascal(spec.name),
                description=spec.description,
                runtime=RUNTIME,
                architecture=lambda_.Architecture.X86_64,
                handler=handler_path(spec.name),
                code=function_code(spec.name),
                layers=[self.layer],
                timeout=spec.timeout,
                memory_size=spec.memory_mb,
                tracing=lambda_.Tracing.ACTIVE,
                role=role,
                log_group=log_group,
                logging_format=lambda_.LoggingFormat.JSON,
                environment={
                    ENV_STAGE: stage,
                    "POWERTOOLS_SERVICE_NAME": spec.name,
                    "POWERTOOLS_METRICS_NAMESPACE": METRIC_NAMESPACE,
                },
            )

        self.call_setup = self.by_name["call_setup"]
        self.tool_call = self.by_name["tool_call"]
        self.post_call = self.by_name["post_call"]
        self.admin_api = self.by_name["admin_api"]
        self.authorizer = self.by_name["authorizer"]
