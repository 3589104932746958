"""Database rows in the shared cache, for the credential hot path (DESIGN.md, "Scale").

A bearer credential (an OAuth access token, a personal API key) is validated from the cache
that every worker and node shares (Redis; local memory on the embedded default), costing one
SQL statement on a miss and one round trip on a hit. The rows it needs, the credential and its
user, application and profile, are cached each under its own key, so a change to a user or an
app invalidates one key, not every credential that points at it.

Coherence: each tracked model's save and delete signals (DOT's `revoke()` and ORM cascades
included) replace the row's key with a tombstone at once and again when the transaction
commits. Fills use `cache.add`, so a request that read the row just before the change cannot
put it back over the tombstone. Code that changes tracked rows without signals (`.update()`,
raw SQL) must call `forget` itself.
"""

import copy
from collections.abc import Callable, Iterable
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import models, transaction
from django.db.models.signals import post_init, post_save, pre_delete
from django.utils import timezone

from apps.core import cache as cache_steps
from apps.core import metrics

# An upper bound on staleness should an invalidation ever be missed; expiry caps it further.
MAX_SECONDS = 300
# Longer than a request takes between reading a row and filling the cache with it.
TOMBSTONE_SECONDS = 30
TOMBSTONE = "gatehouse:rowcache:stale"
_LOADED = "_rowcache_loaded"
# Per tracked model, the attribute its key is made of (`track`'s field).
_KEY_ATTNAME: dict[type[models.Model], str] = {}
# Per tracked model, fields never put in the cache (a hash, a token column).
_OMITTED: dict[type[models.Model], tuple[str, ...]] = {}
# Per tracked model, more keys that a change of one of its rows makes stale (`depends_on`).
_DEPENDENTS: dict[type[models.Model], list[Callable[[models.Model], Iterable[str]]]] = {}


def row_key(model: type[models.Model], value) -> str:
    # The version names the pickled layout: bump it when a tracked model's fields change.
    return f"gatehouse:row:v2:{model._meta.label_lower}:{value}"


def forget(*keys: str) -> None:
    """Invalidate `keys` now, and again once the current transaction commits."""
    keys = [key for key in keys if key]
    if not keys:
        return
    stale = dict.fromkeys(keys, TOMBSTONE)
    cache.set_many(stale, TOMBSTONE_SECONDS)
    transaction.on_commit(lambda: cache.set_many(stale, TOMBSTONE_SECONDS))


def forget_row(instance: models.Model) -> None:
    """Invalidate a row cached by its primary key (a user, an app) that was changed with
    `.update()`, which sends no signal: a conditional update that settles a race, say."""
    forget(row_key(type(instance), instance.pk), *_dependent_keys(instance))


def depends_on(model: type[models.Model], keys: Callable[[models.Model], Iterable[str]]) -> None:
    """Another cache entry is built from `model`'s rows (a client with its owner, say): whenever
    a row is invalidated, by a signal or by `forget_row`, so are the keys `keys(row)` names."""
    _DEPENDENTS.setdefault(model, []).append(keys)


def _dependent_keys(instance: models.Model) -> list[str]:
    return [key for keys in _DEPENDENTS.get(type(instance), ()) for key in keys(instance)]


def track(model: type[models.Model], *, field: str = "pk", omit: tuple[str, ...] = ()) -> None:
    """Cache `model`'s rows by `field`, without the `omit` fields, and invalidate a row's key
    whenever it is changed or deleted (a save of omitted fields alone changes nothing cached)."""
    _OMITTED[model] = omit

    attname = model._meta.pk.attname if field == "pk" else model._meta.get_field(field).attname
    _KEY_ATTNAME[model] = attname

    def remember(sender, instance, **kwargs) -> None:
        # Only a value loaded with the row: reading a deferred field here would query.
        instance.__dict__[_LOADED] = instance.__dict__.get(attname)

    def changed(sender, instance, created: bool = False, update_fields=None, **kwargs) -> None:
        if update_fields and set(update_fields) <= set(omit):
            return  # nothing cached changed (a sign-in's last_login)
        if created:  # nothing cached under its own key yet; an entry built with others may be
            forget(*_dependent_keys(instance))
            return
        # A save may change the key field itself (DOT reusing an access token row on refresh).
        values = {getattr(instance, field), instance.__dict__.get(_LOADED)} - {None, ""}
        forget(*(row_key(model, value) for value in values), *_dependent_keys(instance))

    uid = f"rowcache-{model._meta.label_lower}"
    if field != "pk":
        post_init.connect(remember, sender=model, weak=False, dispatch_uid=uid)
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
    # Before the delete, so that a deferred key field can still be read.
    pre_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid)


def _seconds_left(expires: datetime | None) -> int:
    if expires is None:
        return MAX_SECONDS
    return min(MAX_SECONDS, int((expires - timezone.now()).total_seconds()))


def _expired(instance: models.Model) -> bool:
    expires = getattr(instance, "expires", None)
    return expires is not None and expires <= timezone.now()


def _cacheable(instance: models.Model) -> models.Model:
    """A copy without its related rows (cached under their own keys) nor its omitted fields.

    Omitted fields come back deferred: read on access, and left alone by `save()`.
    """
    clone = copy.copy(instance)  # Model.__getstate__ copies _state and its fields cache
    clone._state.fields_cache.clear()
    for name in (_LOADED, *_OMITTED[type(instance)]):
        clone.__dict__.pop(name, None)
    return clone


def _count(kind: str | None, *, hit: bool) -> None:
    if kind is not None:
        metrics.token_cache_lookup(kind, hit)


def fetch(
    queryset: models.QuerySet,
    *,
    kind: str | None = None,
    field: str,
    value: str,
    related: tuple[str, ...] = (),
    count: cache_steps.WindowCount | None = None,
) -> models.Model | None:
    """The row of `queryset` whose `field` is `value`, with its `related` rows loaded: from the
    cache in one round trip, else in one query that fills the cache. None when there is none.

    `related` names foreign keys ("user") and, after them, one-to-one rows that point back at
    one ("user__profile"); a row of the second kind that does not exist is left unloaded. Each
    related row is cached under its own key, and the row's entry lists those keys, so a hit
    reads them all with it (apps.core.cache.get_with) and a change to one invalidates one key.

    An expired row (by its `expires`) is never served from the cache, and cached no longer
    than it lives. Every model involved must be `track`ed. With `kind`, the lookup is counted
    (apps.core.metrics); with `count`, a rate-limit window counts the request in the same round
    trip when the row's key is there (else `count.used` stays None).
    """
    model = queryset.model
    if (model, related) not in _CHECKED:
        _check_related(model, related)
    key = row_key(model, value)
    instance, others = cache_steps.get_with(key, count)
    if isinstance(instance, model) and not _expired(instance) and _attach(instance, related, others):
        _count(kind, hit=True)
        return instance
    _count(kind, hit=False)
    if related:  # select_related() without names would follow every foreign key
        queryset = queryset.select_related(*related)
    instance = queryset.filter(**{field: value}).first()
    ttl = _seconds_left(getattr(instance, "expires", None)) if instance is not None else 0
    if ttl > 0:
        rows = [row for path in related if (row := _follow(instance, path)) is not None]
        for row in rows:
            cache.add(_key_of(row), _cacheable(row), MAX_SECONDS)
        cache_steps.add_with(key, _cacheable(instance), ttl, [_key_of(row) for row in rows])
    return instance


_CHECKED: set[tuple[type[models.Model], tuple[str, ...]]] = set()


def _check_related(model: type[models.Model], related: tuple[str, ...]) -> None:
    """What `_attach` relies on to find each related row's key from the row alone."""
    for path in related:
        parents, _, name = path.rpartition("__")
        if parents and parents not in related[: related.index(path)]:
            raise ImproperlyConfigured(f"rowcache: {path!r} needs {parents!r} listed before it")
        parent = model
        for step in filter(None, parents.split("__")):
            parent = parent._meta.get_field(step).related_model
        relation = parent._meta.get_field(name)
        target = relation.related_model
        wanted = target._meta.pk.attname if relation.concrete else relation.field.attname
        if _KEY_ATTNAME.get(target) != wanted:
            raise ImproperlyConfigured(
                f"rowcache: {target.__name__} must be tracked by {wanted!r} for {path!r}"
            )
    _CHECKED.add((model, related))


def _key_of(row: models.Model) -> str:
    return row_key(type(row), getattr(row, _KEY_ATTNAME[type(row)]))


def _follow(instance: models.Model, path: str) -> models.Model | None:
    row = instance
    for name in path.split("__"):
        try:
            row = getattr(row, name)
        except ObjectDoesNotExist:  # a one-to-one row that points back, not there
            return None
        if row is None:
            return None
    return row


def _attach(instance: models.Model, related: tuple[str, ...], found: dict) -> bool:
    """Put `instance`'s related rows, read from the cache, in place; False if one that must be
    there is not (expired, or invalidated). A one-to-one row pointing back that the entry does
    not list (there was none when it was made) is left unloaded."""
    for path in related:
        parents, _, name = path.rpartition("__")
        parent = _follow(instance, parents) if parents else instance  # attached by a shorter path
        if parent is None:
            continue
        relation = parent._meta.get_field(name)
        if relation.concrete:  # a foreign key on `parent`
            pk = getattr(parent, relation.attname)
            if pk is None:
                setattr(parent, name, None)
                continue
            key = row_key(relation.related_model, pk)
            if key not in found:  # not listed (an entry an older release made), or gone
                found.update(cache.get_many([key]))
        else:  # a one-to-one row pointing at `parent`, by the field it is tracked by
            key = row_key(relation.related_model, parent.pk)
            if key not in found:  # not listed (none when the entry was made), or gone
                continue  # the caller loads it if it needs it
        row = found.get(key)
        if not isinstance(row, relation.related_model):
            return False
        setattr(parent, name, row)
    return True
