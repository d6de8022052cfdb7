"""Dashboard and alarms: per-stage voice-to-voice latency, active calls, Lambda errors, dead letters."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from switchboard.resources import METRIC_DIMENSION_STAGE, METRIC_NAMESPACE, METRIC_VOICE_TO_VOICE_MS

from .functions import pascal
from .media import active_calls_metric

PERIOD = Duration.minutes(1)


def voice_to_voice_metric(stage: str, statistic: str) -> cloudwatch.Metric:
    """Caller stops speaking -> first reply audio frame sent, in ms, published per turn by the worker."""
    return cloudwatch.Metric(
        namespace=METRIC_NAMESPACE,
        metric_name=METRIC_VOICE_TO_VOICE_MS,
        dimensions_map={METRIC_DIMENSION_STAGE: stage},
        statistic=statistic,
        period=PERIOD,
        unit=cloudwatch.Unit.MILLISECONDS,
    )


class Monitoring(Construct):
    """Attributes:
    alarm_topic: SNS topic (KMS-encrypted) every alarm notifies.
    dashboard: the stage's CloudWatch dashboard.
    dead_letter_alarms: one alarm per DLQ, keyed like ``dead_letter_queues``.
    latency_alarm: p95 voice-to-voice latency above the stage's threshold.
    active_calls_missing_alarm: no ``ActiveCalls`` sample (autoscaling is blind; see ``infra/media.py``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        functions: Mapping[str, lambda_.IFunction],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        latency_p95_threshold_ms: int,
        alarm_email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        topic_key = kms.Key(self, "AlarmTopicKey", description="Switchboard alarm topic", enable_key_rotation=True,
                            removal_policy=RemovalPolicy.DESTROY)
        topic_key.grant_encrypt_decrypt(iam.ServicePrincipal("cloudwatch.amazonaws.com"))
        self.alarm_topic = sns.Topic(self, "AlarmTopic", master_key=topic_key, enforce_ssl=True)
        if alarm_email:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        notify = cw_actions.SnsAction(self.alarm_topic)

        self.dead_letter_alarms: dict[str, cloudwatch.Alarm] = {}
        for name, queue in dead_letter_queues.items():
            alarm = cloudwatch.Alarm(
                self,
                f"{name}DeadLettersAlarm",
                alarm_description=f"Messages are waiting in the {name} dead-letter queue",
                metric=queue.metric_approximate_number_of_messages_visible(period=PERIOD,
                                                                            statistic=cloudwatch.Stats.MAXIMUM),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(notify)
            self.dead_letter_alarms[name] = alarm

        p50 = voice_to_voice_metric(stage, cloudwatch.Stats.p(50))
        p95 = voice_to_voice_metric(stage, cloudwatch.Stats.p(95))
        self.latency_alarm = cloudwatch.Alarm(
            self,
            "VoiceToVoiceP95Alarm",
            alarm_description=f"p95 voice-to-voice latency above {latency_p95_threshold_ms} ms",
            metric=p95,
            threshold=latency_p95_threshold_ms,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.latency_alarm.add_alarm_action(notify)

        per_task = active_calls_metric(stage)
        # Every running task emits ActiveCalls (min_tasks >= 1), so no samples means EMF is not being turned
        # into metrics or no worker is alive: target tracking would silently stop scaling.
        self.active_calls_missing_alarm = cloudwatch.Alarm(
            self,
            "ActiveCallsMissingAlarm",
            alarm_description="No ActiveCalls samples from the media workers (EMF extraction or workers down); "
                              "autoscaling cannot see load",
            metric=per_task.with_(statistic=cloudwatch.Stats.SAMPLE_COUNT),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=3,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        self.active_calls_missing_alarm.add_alarm_action(notify)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Voice-to-voice latency (ms)",
                left=[p50.with_(label="p50"), p95.with_(label="p95")],
                left_annotations=[cloudwatch.HorizontalAnnotation(value=latency_p95_threshold_ms, label="p95 alarm")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Active calls",
                left=[per_task.with_(statistic=cloudwatch.Stats.SUM, label="all tasks"),
                      per_task.with_(label="per task (avg)")],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Lambda errors",
                left=[fn.metric_errors(period=PERIOD, label=pascal(name)) for name, fn in functions.items()],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(
                title="Alarms",
                alarms=[self.latency_alarm, self.active_calls_missing_alarm, *self.dead_letter_alarms.values()],
                width=12,
            ),
        )
