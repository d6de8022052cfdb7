"""HTTP API: every shared route exists, the API-key authorizer guards /v1 (except openapi.json), POST /tools/invoke
is IAM-authorised, access logs on."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match

from infra.api import API_KEY_HEADER_SOURCE, IAM_ROUTES, route_construct_id
from switchboard.resources import HTTP_ROUTES, requires_api_key

from .conftest import Synth, logical_ids_where


def _function_logical_id(synth: Synth, name: str) -> str:
    (logical_id,) = logical_ids_where(synth.of_type("AWS::Lambda::Function"),
                                      Handler=f"functions.{name}.handler.lambda_handler")
    return logical_id


def test_every_shared_route_is_served_by_its_function(dev: Synth) -> None:
    # given resources.HTTP_ROUTES / then each route key exists once and integrates the named function
    routes = {r["Properties"]["RouteKey"]: r["Properties"] for r in dev.of_type("AWS::ApiGatewayV2::Route").values()}
    assert set(routes) == {f"{method} {path}" for method, path, _ in HTTP_ROUTES}
    integrations = dev.of_type("AWS::ApiGatewayV2::Integration")
    for method, path, function in HTTP_ROUTES:
        target = routes[f"{method} {path}"]["Target"]
        integration_id = target["Fn::Join"][1][1]["Ref"]
        uri = integrations[integration_id]["Properties"]["IntegrationUri"]
        assert uri == {"Fn::GetAtt": [_function_logical_id(dev, function), "Arn"]}, (method, path)


def test_authorizer_guards_exactly_the_api_key_routes(dev: Synth) -> None:
    # given the routes / then /v1/{proxy+} uses the Lambda authorizer; webhooks, tools and openapi.json do not
    (authorizer_id,) = dev.of_type("AWS::ApiGatewayV2::Authorizer")
    guarded = {
        r["Properties"]["RouteKey"]
        for r in dev.of_type("AWS::ApiGatewayV2::Route").values()
        if r["Properties"].get("AuthorizationType") == "CUSTOM"
        and r["Properties"].get("AuthorizerId") == {"Ref": authorizer_id}
    }
    assert guarded == {"ANY /v1/{proxy+}"}
    assert guarded == {f"{m} {p}" for m, p, _ in HTTP_ROUTES if requires_api_key(m, p)}
    dev.template.has_resource_properties(
        "AWS::ApiGatewayV2::Route", {"RouteKey": "GET /v1/openapi.json", "AuthorizationType": "NONE"}
    )


def test_tools_invoke_is_iam_authorised_and_every_other_non_v1_route_is_not(dev: Synth) -> None:
    # given the routes / then only POST /tools/invoke demands SigV4 (AWS_IAM); the carrier webhooks stay open
    dev.template.has_resource_properties(
        "AWS::ApiGatewayV2::Route", {"RouteKey": "POST /tools/invoke", "AuthorizationType": "AWS_IAM"}
    )
    iam_routes = {
        r["Properties"]["RouteKey"] for r in dev.of_type("AWS::ApiGatewayV2::Route").values()
        if r["Properties"].get("AuthorizationType") == "AWS_IAM"
    }
    assert iam_routes == {"POST /tools/invoke"} == {f"{m} {p}" for m, p in IAM_ROUTES}
    for route_key in ("POST /twilio/voice", "POST /twilio/status", "POST /telnyx/webhook"):
        dev.template.has_resource_properties(
            "AWS::ApiGatewayV2::Route", {"RouteKey": route_key, "AuthorizationType": "NONE"}
        )


def test_authorizer_is_a_cached_simple_request_authorizer_on_the_authorizer_function(dev: Synth) -> None:
    dev.template.has_resource_properties(
        "AWS::ApiGatewayV2::Authorizer",
        {
            "AuthorizerType": "REQUEST",
            "IdentitySource": [API_KEY_HEADER_SOURCE],
            "EnableSimpleResponses": True,
            "AuthorizerPayloadFormatVersion": "2.0",
            "AuthorizerResultTtlInSeconds": Match.any_value(),
        },
    )
    (authorizer,) = dev.of_type("AWS::ApiGatewayV2::Authorizer").values()
    ttl = authorizer["Properties"]["AuthorizerResultTtlInSeconds"]
    assert 0 < ttl <= 300
    assert _function_logical_id(dev, "authorizer") in json.dumps(authorizer["Properties"]["AuthorizerUri"])


def test_default_stage_auto_deploys_with_access_logs_to_a_retained_log_group(dev: Synth) -> None:
    stages = dev.of_type("AWS::ApiGatewayV2::Stage")
    (stage,) = stages.values()
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    log_group_id = props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert json.loads(props["AccessLogSettings"]["Format"])["requestId"] == "$context.requestId"
    assert dev.resources[log_group_id]["Properties"]["RetentionInDays"] == 30
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


def test_route_construct_ids_are_stable_pascal_case() -> None:
    assert route_construct_id("ANY", "/v1/{proxy+}") == "AnyV1ProxyRoute"
    assert route_construct_id("POST", "/twilio/voice") == "PostTwilioVoiceRoute"
    assert route_construct_id("GET", "/v1/openapi.json") == "GetV1OpenapiJsonRoute"
