"""The media worker on Fargate: TLS ALB for wss://, draining, secrets, ActiveCalls scaling, task protection."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match

from infra.media import DOCKERFILE
from switchboard.resources import (
    ENV_PORT,
    ENV_PUBLIC_API_URL,
    MEDIA_WORKER_PORT,
    METRIC_ACTIVE_CALLS,
    METRIC_NAMESPACE,
    PROVIDER_KEY_ENV,
)

from .conftest import Synth, logical_ids_where


def _container(synth: Synth) -> dict[str, Any]:
    (task,) = synth.of_type("AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    result: dict[str, Any] = container
    return result


def _statements(synth: Synth, role_logical_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _task_role(synth: Synth) -> str:
    (task,) = synth.of_type("AWS::ECS::TaskDefinition").values()
    role: str = task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
    return role


def test_fargate_service_in_private_subnets_with_circuit_breaker(dev: Synth) -> None:
    dev.template.has_resource_properties("AWS::ECS::Service", {
        "LaunchType": "FARGATE",
        "DeploymentConfiguration": Match.object_like({"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}}),
        "NetworkConfiguration": {"AwsvpcConfiguration": Match.object_like({"AssignPublicIp": "DISABLED"})},
        "LoadBalancers": [Match.object_like({"ContainerPort": MEDIA_WORKER_PORT})],
    })


def test_container_listens_on_the_worker_port_and_gets_120s_to_stop(dev: Synth) -> None:
    container = _container(dev)
    assert container["StopTimeout"] == 120
    assert container["PortMappings"] == [{"ContainerPort": MEDIA_WORKER_PORT, "Protocol": "tcp"}]
    env = {item["Name"]: item["Value"] for item in container["Environment"]}
    assert env[ENV_PORT] == str(MEDIA_WORKER_PORT)
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    assert container["ReadonlyRootFilesystem"] is True


def test_provider_keys_arrive_as_secrets_never_as_plain_environment(dev: Synth) -> None:
    container = _container(dev)
    plain = {item["Name"] for item in container["Environment"]}
    assert not [name for name in plain if name.endswith("_API_KEY") or ("TOKEN" in name and "ARN" not in name)]
    (provider_secret_id,) = logical_ids_where(dev.of_type("AWS::SecretsManager::Secret"),
                                              Description="Switchboard speech/LLM provider API keys (JSON)")
    secrets = {item["Name"]: item["ValueFrom"] for item in container["Secrets"]}
    assert set(secrets) == set(PROVIDER_KEY_ENV.values())
    for field, env_name in PROVIDER_KEY_ENV.items():
        assert secrets[env_name] == {"Fn::Join": ["", [{"Ref": provider_secret_id}, f":{field}::"]]}


def test_image_is_built_from_the_worker_dockerfile_with_the_repo_root_as_context(dev: Synth) -> None:
    assets = json.loads((dev.outdir / "Switchboard-dev.assets.json").read_text())["dockerImages"]
    (image,) = assets.values()
    assert image["source"]["dockerFile"] == DOCKERFILE
    context = dev.outdir / image["source"]["directory"]
    top_level = {path.name for path in context.iterdir()}
    assert top_level <= {"switchboard", "media_worker", ".dockerignore"}
    assert (context / "switchboard" / "resources.py").is_file()
    assert (context / DOCKERFILE).is_file()
    assert not list(context.rglob("__pycache__"))


def test_load_balancer_keeps_websockets_open_and_logs_access(dev: Synth) -> None:
    (alb,) = dev.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    attributes = {a["Key"]: a["Value"] for a in alb["Properties"]["LoadBalancerAttributes"]}
    assert alb["Properties"]["Scheme"] == "internet-facing"
    assert attributes["idle_timeout.timeout_seconds"] == "4000"
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"


def test_only_an_https_listener_on_443(dev: Synth, dev_stage: dict[str, Any]) -> None:
    (listener,) = dev.of_type("AWS::ElasticLoadBalancingV2::Listener").values()
    props = listener["Properties"]
    assert (props["Port"], props["Protocol"]) == (443, "HTTPS")
    assert props["Certificates"] == [{"CertificateArn": dev_stage["certificate_arn"]}]
    assert props["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")


def test_target_group_health_check_and_drain_time_follow_the_stage(dev: Synth, prod: Synth,
                                                                   dev_stage: dict[str, Any],
                                                                   prod_stage: dict[str, Any]) -> None:
    for synth, stage in ((dev, dev_stage), (prod, prod_stage)):
        (group,) = synth.of_type("AWS::ElasticLoadBalancingV2::TargetGroup").values()
        props = group["Properties"]
        assert props["HealthCheckPath"] == "/healthz"
        assert props["Port"] == MEDIA_WORKER_PORT
        attributes = {a["Key"]: a["Value"] for a in props["TargetGroupAttributes"]}
        assert attributes["deregistration_delay.timeout_seconds"] == str(stage["deregistration_delay_seconds"])


def test_autoscaling_tracks_active_calls_per_task(dev: Synth, dev_stage: dict[str, Any]) -> None:
    dev.template.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": Match.object_like({
            "TargetValue": dev_stage["calls_per_task"],
            "CustomizedMetricSpecification": {
                "Namespace": METRIC_NAMESPACE,
                "MetricName": METRIC_ACTIVE_CALLS,
                "Dimensions": [{"Name": "Stage", "Value": "dev"}],
                "Statistic": "Average",
            },
        }),
    })


def test_task_role_may_protect_its_tasks_from_scale_in(dev: Synth) -> None:
    (cluster_id,) = dev.of_type("AWS::ECS::Cluster")
    statements = _statements(dev, _task_role(dev))
    (protection,) = [s for s in statements if "ecs:UpdateTaskProtection" in s["Action"]]
    assert sorted(protection["Action"]) == ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"]
    assert {"Ref": cluster_id} in protection["Resource"]["Fn::Join"][1]


def test_task_role_may_invoke_exactly_the_tools_route_and_no_lambda(dev: Synth) -> None:
    # given the worker's task role / then execute-api:Invoke on POST /tools/invoke of this API's $default stage only,
    # and no direct Lambda invoke (tool calls go through the IAM-authorised route)
    (api_id,) = dev.of_type("AWS::ApiGatewayV2::Api")
    statements = _statements(dev, _task_role(dev))
    invokes = [s for s in statements if "execute-api:" in json.dumps(s["Action"])]
    assert [s["Action"] for s in invokes] == ["execute-api:Invoke"]
    assert [s["Effect"] for s in invokes] == ["Allow"]
    parts = invokes[0]["Resource"]["Fn::Join"][1]
    assert parts[0].startswith("arn:") and ":execute-api:" in parts[0]
    assert {"Ref": api_id} in parts
    assert parts[-1] == "/$default/POST/tools/invoke"
    assert "lambda:" not in json.dumps([s["Action"] for s in statements])
    env = {item["Name"] for item in _container(dev)["Environment"]}
    assert "SWITCHBOARD_TOOL_CALL_FUNCTION" not in env
    assert ENV_PUBLIC_API_URL in env


def test_emf_goes_through_awslogs_alone_no_agent_sidecar(dev: Synth) -> None:
    # given the decision in infra/media.py / then one container, logging with awslogs, and no agent endpoint
    (task,) = dev.of_type("AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    env = {item["Name"] for item in container["Environment"]}
    assert not env & {"AWS_EMF_AGENT_ENDPOINT", "AWS_EMF_ENVIRONMENT"}


def test_the_worker_emits_exactly_the_series_autoscaling_tracks() -> None:
    # given the worker's EMF emitter and the metric the scaling policy reads / when the gauge is emitted
    from infra.media import active_calls_metric
    from media_worker.runtime.metrics import MetricsEmitter

    lines: list[str] = []
    MetricsEmitter(stage="dev", write=lines.append, clock=lambda: 1_800_000_000.0).active_calls(7)

    # then it is one compact JSON line whose metric, namespace and dimension match the tracked metric
    (line,) = lines
    assert "\n" not in line
    document = json.loads(line)
    tracked = active_calls_metric("dev")
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == tracked.namespace
    assert directive["Metrics"] == [{"Name": tracked.metric_name, "Unit": "Count"}]
    assert directive["Dimensions"] == [list(tracked.dimensions or {})]
    assert {name: document[name] for name in tracked.dimensions or {}} == tracked.dimensions
    assert document[tracked.metric_name] == 7
    assert document["_aws"]["Timestamp"] == 1_800_000_000_000


def test_cluster_has_container_insights_and_vpc_spans_two_azs(dev: Synth) -> None:
    dev.template.has_resource_properties("AWS::ECS::Cluster", {
        "ClusterSettings": [{"Name": "containerInsights", "Value": Match.string_like_regexp("enabled|enhanced")}],
    })
    subnets = dev.of_type("AWS::EC2::Subnet").values()
    azs = {json.dumps(s["Properties"]["AvailabilityZone"]) for s in subnets}
    assert len(azs) == 2
    dev.template.resource_count_is("AWS::EC2::FlowLog", 1)


def test_production_runs_a_nat_gateway_per_az(dev: Synth, prod: Synth) -> None:
    dev.template.resource_count_is("AWS::EC2::NatGateway", 1)
    prod.template.resource_count_is("AWS::EC2::NatGateway", 2)
