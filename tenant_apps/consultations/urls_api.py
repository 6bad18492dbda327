"""/api/v1/consultations/ on a city host (surveys and the moderation queue have their own modules, mounted
before this one in fluicity.urls_city: "moderation" is a reserved consultation slug)."""

from django.urls import URLPattern, URLResolver, path

from tenant_apps.consultations.api import views

app_name = "consultations-api"

contribution = "<slug:slug>/contributions/<int:contribution_id>"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.ConsultationListApi.as_view(), name="consultations"),
    path("<slug:slug>/", views.ConsultationDetailApi.as_view(), name="consultation"),
    path("<slug:slug>/phase/", views.ConsultationPhaseApi.as_view(), name="phase"),
    path("<slug:slug>/themes/", views.ThemeListApi.as_view(), name="themes"),
    path("<slug:slug>/themes/order/", views.ThemeOrderApi.as_view(), name="themes-order"),
    path("<slug:slug>/themes/<int:theme_id>/", views.ThemeDetailApi.as_view(), name="theme"),
    path("<slug:slug>/follow/", views.FollowApi.as_view(), name="follow"),
    path("<slug:slug>/figures/", views.FiguresApi.as_view(), name="figures"),
    path("<slug:slug>/contributions/", views.ContributionListApi.as_view(), name="contributions"),
    path(f"{contribution}/", views.ContributionDetailApi.as_view(), name="contribution"),
    path(f"{contribution}/merge/", views.ContributionMergeApi.as_view(), name="contribution-merge"),
    path(f"{contribution}/comments/", views.CommentListApi.as_view(), name="comments"),
    path(f"{contribution}/reaction/", views.ReactionApi.as_view(), name="reaction"),
    path(f"{contribution}/answer/", views.OfficialAnswerApi.as_view(), name="answer"),
    path(f"{contribution}/report/", views.ContributionReportApi.as_view(), name="contribution-report"),
    path("<slug:slug>/comments/<int:comment_id>/report/", views.CommentReportApi.as_view(), name="comment-report"),
]
