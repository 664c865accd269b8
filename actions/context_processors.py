"""The unread notification count in the header."""


def inbox(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    from .services import unread_count

    return {"unread_notifications": unread_count(user)}
