"""The bottom layer's pages: about, glossary and the (throttled) sign-in; the board lives in dashboard."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.views import LoginView
from django.db.models import prefetch_related_objects
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from . import login_throttle

LOGIN_FAILURE_LIMIT = settings.LOGIN_FAILURE_LIMIT


class ThrottledLoginView(LoginView):
    """The login page, refusing an account's sign-in from one address after repeated failures (login_throttle)."""

    template_name = "registration/login.html"

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if not login_throttle.attempt(request, username):
            form = self.get_form()
            form.add_error(None, login_throttle.LOCKED_MESSAGE)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        login_throttle.succeeded(self.request, self.request.POST.get("username", ""))
        return super().form_valid(form)


def admin_login(request, extra_context=None):
    """The admin's sign-in, through the same lockout as the site's (it is a second door to the same accounts)."""
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    username = request.POST.get("username", "")
    if not login_throttle.attempt(request, username):
        form = AdminAuthenticationForm(request, data=request.POST)
        form.errors.clear()
        form.add_error(None, login_throttle.LOCKED_MESSAGE)
        context = {
            **admin.site.each_context(request),
            "title": "Log in",
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": username,
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/login.html", context, status=429)
    response = admin.site.login(request, extra_context)
    if response.status_code == 302 and request.user.is_authenticated:
        login_throttle.succeeded(request, username)
    return response


def with_roles(user):
    """Load the user's groups once, so the permission checks of one page share a single query."""
    if user.is_authenticated:
        prefetch_related_objects([user], "groups")
    return user


@require_safe
def glossary(request):
    """The words the pages use, in plain English."""
    return render(request, "oversight/glossary.html")


@require_safe
def about(request):
    """Data sources, licences and methods."""
    return render(request, "oversight/about.html")
