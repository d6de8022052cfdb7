"""The media worker on ECS Fargate behind an internet-facing ALB with a TLS listener (Twilio needs wss:// on 443).

Long calls drain: the ALB idle timeout is the maximum (4000 s), the target group's deregistration delay
comes from the stage, and ECS gives the container ``stopTimeout`` = 120 s after SIGTERM.
Scaling tracks the per-task ``ActiveCalls`` metric the worker publishes as EMF; a task with live calls
protects itself from scale-in through the ECS agent's task-protection endpoint.

Metrics: EMF lines on stdout through the awslogs driver; no CloudWatch agent sidecar, no PutMetricData
----------------------------------------------------------------------------------------------------
Decision (checked against the AWS docs and AWS maintainers' statements):

- CloudWatch Logs extracts EMF from any log event that reaches it. The CloudWatch guide "Using the
  PutLogEvents API to send manually-created embedded metric format logs" calls the
  ``x-amzn-logs-format: json/emf`` header optional ("it's not required"); AWS announced the change in
  January 2023 ("Amazon CloudWatch metric extraction from structured logs", referenced by
  aws/amazon-cloudwatch-agent#677), and the EMF maintainers confirmed it (awslabs/aws-embedded-metrics-python#73,
  aws/aws-logging-dotnet#186: "Any EMF logs that can reach CloudWatch Logs will now be parsed ... You don't
  need the EMF header anymore"). The awslogs driver's PutLogEvents calls therefore suffice; the older
  spec text that said clients MUST send the header predates this.
- Caveat: aws/shim-loggers-for-containerd#285 (2025) reports regions where that auto-detection had not
  launched, and Fargate's awslogs offers no way to send the header (aws/containers-roadmap#1719). The
  stages deploy to eu-west-1. As a safety net, ``Monitoring`` alarms when no ``ActiveCalls`` sample
  arrives for 3 minutes (missing data breaches): a region without extraction, a malformed EMF line or a
  silent worker all stop autoscaling, and all page someone. If it fires for want of extraction, add
  the CloudWatch agent sidecar (``public.ecr.aws/cloudwatch-agent/cloudwatch-agent:<version>``,
  ``CW_CONFIG_CONTENT={"logs":{"metrics_collected":{"emf":{}}}}``) and point the worker at it
  (``AWS_EMF_AGENT_ENDPOINT=tcp://127.0.0.1:25888``).
- Not PutMetricData: it adds an AWS call per sample on the worker (credentials, retries, a thread),
  needs ``cloudwatch:PutMetricData`` on ``*``, and loses the call-id context EMF keeps in the log line.

What the worker must keep doing (``media_worker/runtime/metrics.py`` does it today):

1. Each EMF document is one whole stdout line: compact JSON, nothing before or after it, flushed, far
   under 256 KB. ``_aws.Timestamp`` in epoch milliseconds.
2. ``ActiveCalls``: namespace ``switchboard.resources.METRIC_NAMESPACE``, one dimension set
   ``[["Stage"]]`` with ``Stage`` = ``SWITCHBOARD_STAGE`` (the stack sets it), unit ``Count``.
   :func:`active_calls_metric` (autoscaling, dashboard, alarm) reads exactly that series.
3. Emit it from start-up until exit, idle (0) and draining included, at a fixed interval of at most
   60 s (now 10 s, so every task weighs equally in the per-minute Average that target tracking uses).
4. Set neither ``AWS_EMF_ENVIRONMENT`` nor ``AWS_EMF_AGENT_ENDPOINT`` (no agent runs); with the
   ``aws-embedded-metrics`` library instead, use ``AWS_EMF_ENVIRONMENT=Local`` (stdout).
5. Malformed documents show up as ``EMFValidationErrors``/``EMFParsingErrors`` in the ``AWS/Logs``
   namespace for the worker's log group.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from switchboard.resources import (
    ENV_PORT,
    MEDIA_WORKER_PORT,
    METRIC_ACTIVE_CALLS,
    METRIC_DIMENSION_STAGE,
    METRIC_NAMESPACE,
)

from .assets import REPO_ROOT

DOCKERFILE = "media_worker/Dockerfile"
CONTAINER_NAME = "Worker"
HEALTH_CHECK_PATH = "/healthz"
ALB_IDLE_TIMEOUT = Duration.seconds(4000)
STOP_TIMEOUT = Duration.seconds(120)
SCRATCH_PATH = "/tmp"  # noqa: S108 - the task's private ephemeral volume, not a shared host /tmp
TASK_PROTECTION_ACTIONS = ("ecs:UpdateTaskProtection", "ecs:GetTaskProtection")


def active_calls_metric(stage: str) -> cloudwatch.Metric:
    """Average ActiveCalls per task: every task emits EMF samples at a fixed interval with the Stage dimension."""
    return cloudwatch.Metric(
        namespace=METRIC_NAMESPACE,
        metric_name=METRIC_ACTIVE_CALLS,
        dimensions_map={METRIC_DIMENSION_STAGE: stage},
        statistic=cloudwatch.Stats.AVERAGE,
        period=Duration.minutes(1),
    )


class MediaWorkerService(Construct):
    """Attributes:
    vpc, cluster, task_definition, container, service, load_balancer, listener, target_group, scaling.
    task_role: the worker's IAM role (grants are added by the stack).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        certificate_arn: str,
        min_tasks: int,
        max_tasks: int,
        calls_per_task: int,
        deregistration_delay: Duration,
        nat_gateways: int,
        log_retention: logs.RetentionDays,
        access_logs_bucket: s3.IBucket,
        environment: Mapping[str, str],
        secrets: Mapping[str, ecs.Secret],
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="Workers", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22),
            ],
        )
        flow_logs = logs.LogGroup(self, "FlowLogs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY)
        self.vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs))

        self.cluster = ecs.Cluster(self, "Cluster", vpc=self.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=1024,
            memory_limit_mib=2048,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        self.task_role = self.task_definition.task_role
        # The root filesystem is read-only; /tmp is the one writable (ephemeral) path.
        self.task_definition.add_volume(name="tmp")
        worker_logs = logs.LogGroup(self, "WorkerLogs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY)
        self.container = self.task_definition.add_container(
            CONTAINER_NAME,
            image=ecs.ContainerImage.from_asset(
                str(REPO_ROOT),
                file=DOCKERFILE,
                platform=ecr_assets.Platform.LINUX_AMD64,
                # The root .dockerignore keeps only switchboard/ and media_worker/ in the build context.
            ),
            port_mappings=[ecs.PortMapping(container_port=MEDIA_WORKER_PORT, protocol=ecs.Protocol.TCP)],
            environment={**environment, ENV_PORT: str(MEDIA_WORKER_PORT)},
            secrets=dict(secrets),
            logging=ecs.LogDrivers.aws_logs(stream_prefix="worker", log_group=worker_logs),
            stop_timeout=STOP_TIMEOUT,
            readonly_root_filesystem=True,
        )
        self.container.add_mount_points(
            ecs.MountPoint(container_path=SCRATCH_PATH, source_volume="tmp", read_only=False)
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=min_tasks,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            health_check_grace_period=Duration.seconds(60),
        )

        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=self.vpc,
            internet_facing=True,
            idle_timeout=ALB_IDLE_TIMEOUT,
            drop_invalid_header_fields=True,
        )
        self.load_balancer.log_access_logs(access_logs_bucket, prefix="media-alb")
        self.listener = self.load_balancer.add_listener(
            "Https",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
            open=True,
        )
        self.target_group = self.listener.add_targets(
            "Workers",
            port=MEDIA_WORKER_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.service.load_balancer_target(container_name=CONTAINER_NAME,
                                                       container_port=MEDIA_WORKER_PORT)],
            deregistration_delay=deregistration_delay,
            health_check=elbv2.HealthCheck(
                path=HEALTH_CHECK_PATH,
                healthy_http_codes="200",
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )

        self.scaling = self.service.auto_scale_task_count(min_capacity=min_tasks, max_capacity=max_tasks)
        self.scaling.scale_to_track_custom_metric(
            "ActiveCallsTracking",
            metric=active_calls_metric(stage),
            target_value=calls_per_task,
            scale_out_cooldown=Duration.minutes(1),
            scale_in_cooldown=Duration.minutes(10),
        )

    def task_protection_statement(self) -> iam.PolicyStatement:
        """Lets a task mark itself protected from scale-in while it carries calls (its own cluster only)."""
        task_arns = Stack.of(self).format_arn(
            service="ecs",
            resource="task",
            resource_name=f"{self.cluster.cluster_name}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        return iam.PolicyStatement(actions=list(TASK_PROTECTION_ACTIONS), resources=[task_arns])
