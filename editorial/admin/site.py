"""What the editors' admin leaves out.

django-celery-beat registers its schedule models in the admin, in English (it has no
Japanese translation). The schedules live in settings (``CELERY_BEAT_SCHEDULE``) and
scheduled publication is an issue's own workflow step, so editors have nothing to do there.
"""

from django.contrib import admin


def unregister_unused() -> None:
    """Called once every app's admin is registered (``EditorialConfig.ready``)."""
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    for model in (ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
