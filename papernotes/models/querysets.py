"""The content models' querysets: ``update()`` reports itself, as a save does with its signals."""

from django.db import models

from papernotes.signals import content_rows_updating


class ContentQuerySet(models.QuerySet):
    """``update()`` sends :data:`papernotes.signals.content_rows_updating` first, so that what
    follows public content (``papernotes.public_changes``) sees writes that send no signal."""

    def update(self, **kwargs):
        responses = content_rows_updating.send(sender=self.model, queryset=self, values=kwargs)
        count = super().update(**kwargs)
        for _receiver, after in responses:
            if after is not None:
                after(count)
        return count

    update.queryset_only = True
