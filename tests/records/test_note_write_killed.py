"""A note and its history row are written together or not at all, even when the process dies in between.

A child process adds a note and is killed with SIGKILL at the moment simple_history is about to
write the history row (the note's own row already written); another is killed just after the
history row, before the commit. Neither leaves a note behind; an undisturbed one leaves both.
"""

import signal
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

ADD_NOTE = """
import os, signal, sys, django
django.setup()
from django.contrib.auth import get_user_model
from simple_history import signals
from trusts import services
from trusts.models import RegimeEpisode

moment = sys.argv[1]

def die(sender, **kwargs):
    if sender.__name__ == "HistoricalEpisodeNote":
        os.kill(os.getpid(), signal.SIGKILL)

if moment == "before-history":
    signals.pre_create_historical_record.connect(die)
elif moment == "after-history":
    signals.post_create_historical_record.connect(die)
services.note_add(
    actor=get_user_model().objects.get(username="alice"),
    episode=RegimeEpisode.objects.get(pk=int(sys.argv[2])),
    text=f"note written with a kill {moment}",
)
"""


@pytest.fixture
def episode(child_env):
    from datetime import date

    from trusts.models import Organisation, Regime, RegimeEpisode
    from trusts.services import user_create

    user_create(username="alice", role="oversight")
    organisation = Organisation.objects.create(ods_code="RK1", name="Killed Write Trust")
    return RegimeEpisode.objects.create(
        organisation=organisation, regime=Regime.objects.get(code="SMQ"), entered=date(2019, 1, 1)
    )


def add_note(env, moment: str, episode) -> int:
    child = subprocess.run(
        [sys.executable, "-c", ADD_NOTE, moment, str(episode.pk)], env=env, cwd=settings.BASE_DIR, timeout=120
    )
    connection.close()  # SQLite: a fresh connection rolls back the dead process's journal
    return child.returncode


def stored(episode):
    from trusts.models import EpisodeNote

    notes = list(EpisodeNote.objects.filter(episode=episode).values_list("pk", "text"))
    history = list(EpisodeNote.history.filter(episode_id=episode.pk).values_list("id", "text"))
    return notes, history


@pytest.mark.parametrize("moment", ["before-history", "after-history"])
def test_a_note_write_killed_half_way_leaves_neither_note_nor_history(child_env, episode, moment):
    assert add_note(child_env, moment, episode) == -signal.SIGKILL
    assert stored(episode) == ([], [])


def test_a_note_write_left_alone_leaves_both(child_env, episode):
    assert add_note(child_env, "never", episode) == 0
    notes, history = stored(episode)
    assert [text for _, text in notes] == ["note written with a kill never"]
    assert history == notes
