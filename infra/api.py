"""API Gateway HTTP API: carrier webhooks, the tool endpoint and the admin API, with access logs.

Routes come from ``switchboard.resources.HTTP_ROUTES`` (the local gateway serves the same list) and
``requires_api_key`` decides which of them sit behind the tenant API-key authorizer. The routes in
:data:`IAM_ROUTES` are IAM-authorised (callers sign with SigV4 for ``execute-api``) and callable only
by principals granted through :meth:`HttpApi.grant_invoke_route`. The rest are carrier webhooks and the
public API description: their handlers verify the carriers' signatures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from switchboard.resources import HTTP_ROUTES, requires_api_key

from .functions import pascal

API_KEY_HEADER_SOURCE = "$request.header.Authorization"
AUTHORIZER_CACHE_TTL = Duration.seconds(60)
TOOL_INVOKE_ROUTE = ("POST", "/tools/invoke")
IAM_ROUTES: frozenset[tuple[str, str]] = frozenset({TOOL_INVOKE_ROUTE})
"""Service-to-service routes: the media worker's task role signs ``POST /tools/invoke`` with SigV4."""

_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}


def route_construct_id(method: str, path: str) -> str:
    """Stable PascalCase id, e.g. ``("ANY", "/v1/{proxy+}")`` -> ``AnyV1ProxyRoute``."""
    words = [word for word in re.split(r"[^A-Za-z0-9]+", path) if word]
    return method.capitalize() + "".join(word[:1].upper() + word[1:] for word in words) + "Route"


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FIELDS))


class HttpApi(Construct):
    """Attributes:
    api: the HTTP API.
    stage: the ``$default`` stage (auto-deploy, throttled, access logs on).
    access_logs: the access-log group.
    authorizer: Lambda REQUEST authorizer (simple responses) on the API-key routes.
    iam_authorizer: IAM authorizer on :data:`IAM_ROUTES`.
    routes: keyed by ``(method, path)``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handlers: Mapping[str, lambda_.IFunction],
        authorizer_function: lambda_.IFunction,
        log_retention: logs.RetentionDays,
        routes: tuple[tuple[str, str, str], ...] = HTTP_ROUTES,
        iam_routes: frozenset[tuple[str, str]] = IAM_ROUTES,
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.HttpApi(self, "Api", description="Switchboard webhooks, tools and admin API",
                                   create_default_stage=False)
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=log_retention,
                                         removal_policy=RemovalPolicy.DESTROY)
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            access_log_settings=_AccessLogSettings(self.access_logs),
            throttle=apigwv2.ThrottleSettings(rate_limit=200, burst_limit=400),
        )
        self.authorizer = authorizers.HttpLambdaAuthorizer(
            "ApiKeyAuthorizer",
            authorizer_function,
            identity_source=[API_KEY_HEADER_SOURCE],
            response_types=[authorizers.HttpLambdaResponseType.SIMPLE],
            results_cache_ttl=AUTHORIZER_CACHE_TTL,
        )

        self.iam_authorizer = authorizers.HttpIamAuthorizer()
        self._iam_routes = iam_routes

        missing = {function for _, _, function in routes} - set(handlers)
        if missing:
            raise ValueError(f"no handler given for route functions: {sorted(missing)}")
        integration_for = {
            name: integrations.HttpLambdaIntegration(f"{pascal(name)}Integration", handler)
            for name, handler in handlers.items()
        }
        self.routes: dict[tuple[str, str], apigwv2.HttpRoute] = {}
        for method, path, function in routes:
            self.routes[(method, path)] = apigwv2.HttpRoute(
                self,
                route_construct_id(method, path),
                http_api=self.api,
                route_key=apigwv2.HttpRouteKey.with_(path, apigwv2.HttpMethod(method)),
                integration=integration_for[function],
                authorizer=self._authorizer_for(method, path),
            )

    def _authorizer_for(self, method: str, path: str) -> apigwv2.IHttpRouteAuthorizer | None:
        if (method, path) in self._iam_routes:
            return self.iam_authorizer
        return self.authorizer if requires_api_key(method, path) else None

    def route_arn(self, method: str, path: str) -> str:
        """The ``execute-api`` ARN of exactly one route on the ``$default`` stage."""
        return self.api.arn_for_execute_api(method, path, self.stage.stage_name)

    def grant_invoke_route(self, grantee: iam.IGrantable, method: str, path: str) -> None:
        """``execute-api:Invoke`` on one IAM-authorised route (and nothing else of the API)."""
        if (method, path) not in self._iam_routes:
            raise ValueError(f"{method} {path} is not an IAM-authorised route")
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["execute-api:Invoke"], resources=[self.route_arn(method, path)])
        )

    @property
    def url(self) -> str:
        """``https://{api-id}.execute-api.{region}.amazonaws.com/`` (the ``$default`` stage)."""
        return self.stage.url
