from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from accounts import signin
        from accounts.models import Membership

        signin.connect_password_reset()
        post_save.connect(_forget_operator, sender=Membership, dispatch_uid="operator-memo-save")
        post_delete.connect(_forget_operator, sender=Membership, dispatch_uid="operator-memo-del")


def _forget_operator(sender, instance, **kwargs) -> None:
    from accounts.selectors import operator_memo_forget

    operator_memo_forget(user_id=instance.user_id)
