from django.urls import path

from . import views

app_name = "actions"

urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("subscriptions/<int:pk>/delete/", views.subscription_delete, name="subscription-delete"),
    path("board/pack.pdf", views.board_pack_pdf, name="board-pack"),
    path("analytics/report/", views.evaluation_report, name="evaluation-report"),
    path("trusts/<str:ods_code>/annotations/", views.annotation_add, name="annotation-add"),
    path("annotations/<int:pk>/delete/", views.annotation_delete, name="annotation-delete"),
    path("views/<slug:page>/default/", views.saved_view_save, name="saved-view-save"),
    path("changes/", views.changes, name="changes"),
    path("transitions/<int:pk>/check-in/", views.transition_check_in, name="transition-check-in"),
    path("transitions/<int:pk>/complete/", views.transition_complete, name="transition-complete"),
    path("trusts/<str:ods_code>/communications/", views.communication_plan, name="communication-plan"),
    path("communications/<int:pk>/sent/", views.communication_sent, name="communication-sent"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/open/", views.case_open, name="case-open"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
]
