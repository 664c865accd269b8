"""Chart annotations (issue 15): saved with their history row in one transaction, drawn on every chart of the trust."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction

from oversight import permissions

from .models import ChartAnnotation
from .services import _stamp

ANNOTATION_COLOUR = "#425563"


def annotations_for(user, organisation) -> list[ChartAnnotation]:
    return list(permissions.visible_to(user, ChartAnnotation.objects.filter(organisation=organisation)))


@transaction.atomic
def annotation_add(*, actor, organisation, on: date, kind: str, text: str) -> ChartAnnotation:
    if not permissions.can_edit_trust_records(actor, organisation.pk):
        raise PermissionDenied("Only oversight staff or the trust's improvement director can annotate its charts.")
    annotation = ChartAnnotation(organisation=organisation, on=on, kind=kind, text=(text or "").strip(), author=actor)
    annotation.full_clean(exclude=["author"])
    _stamp(annotation, actor, "Annotation added")
    annotation.save()
    return annotation


@transaction.atomic
def annotation_delete(*, actor, annotation: ChartAnnotation) -> None:
    if not permissions.can_edit_trust_records(actor, annotation.organisation_id):
        raise PermissionDenied("Only oversight staff or the trust's improvement director can remove an annotation.")
    _stamp(annotation, actor, "Annotation removed")
    annotation.delete()


def annotate(figure: dict | None, annotations: list[ChartAnnotation]) -> dict | None:
    """Add each annotation to a date-axis Plotly figure: a dotted vertical line and a label at the top."""
    if not figure or not annotations:
        return figure
    layout = figure.setdefault("layout", {})
    shapes = list(layout.get("shapes", []))
    labels = list(layout.get("annotations", []))
    for annotation in annotations:
        day = annotation.on.isoformat()
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": day,
                "x1": day,
                "y0": 0,
                "y1": 1,
                "line": {"color": ANNOTATION_COLOUR, "width": 1, "dash": "dot"},
            }
        )
        labels.append(
            {
                "x": day,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "text": f"{annotation.get_kind_display()}: {annotation.text}"[:60],
                "font": {"size": 10},
            }
        )
    layout["shapes"], layout["annotations"] = shapes, labels
    return figure


def annotate_charts(user, organisation, context: dict, keys=("z_figure", "value_figure", "spc_figure")) -> list:
    """Annotate every chart of the trust page's context in place; returns the annotations shown."""
    annotations = annotations_for(user, organisation)
    for key in keys:
        if key in context:
            context[key] = annotate(context[key], annotations)
    return annotations
