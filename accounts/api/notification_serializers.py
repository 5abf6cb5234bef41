import re

from rest_framework import serializers

from accounts.models import Notification, NotificationPreference

KIND = re.compile(r"^[a-z_]+(\.[a-z_]+)*$")


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "is_read"]

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread.")


class NotificationPreferenceSerializer(serializers.ModelSerializer):
    muted_kinds = serializers.ListField(
        child=serializers.CharField(max_length=60),
        max_length=100,
        required=False,
        help_text="Kinds (order.paid) or whole families (order) not to e-mail; "
        "they still show in the app.",
    )

    class Meta:
        model = NotificationPreference
        fields = ["email_enabled", "muted_kinds"]

    def validate_muted_kinds(self, kinds: list[str]) -> list[str]:
        wrong = [kind for kind in kinds if not KIND.match(kind)]
        if wrong:
            raise serializers.ValidationError(
                f"Not a notification kind: {', '.join(wrong)} (e.g. order.paid or order)."
            )
        return sorted(set(kinds))
