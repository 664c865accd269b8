"""Pages that span apps: the national board, the about page, and the login view."""

from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.shortcuts import render

from trusts.selectors import board_rows

LOGIN_FAILURE_LIMIT = 10
LOGIN_FAILURE_WINDOW = 15 * 60


class ThrottledLoginView(LoginView):
    """The login page, refusing further attempts from one address after repeated failures."""

    template_name = "registration/login.html"

    def _key(self):
        return f"login-failures:{self.request.META.get('REMOTE_ADDR', '')}"

    def post(self, request, *args, **kwargs):
        if cache.get(self._key(), 0) >= LOGIN_FAILURE_LIMIT:
            form = self.get_form()
            form.add_error(None, "Too many failed sign-ins from this address. Try again in 15 minutes.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        key = self._key()
        cache.add(key, 0, LOGIN_FAILURE_WINDOW)
        cache.incr(key)
        return super().form_invalid(form)


def board(request):
    """The national board: every trust now in a regime, with how it is doing."""
    return render(request, "oversight/board.html", {"rows": board_rows(request.user)})


def about(request):
    """Data sources, licences and methods."""
    return render(request, "oversight/about.html")
