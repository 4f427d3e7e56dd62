"""Phones, pinyin, the production refusal and the task queue on its real stores."""

import os
import subprocess
import sys

import pytest
from huey import RedisHuey, SqliteHuey

from careloop.core.phones import InvalidPhone, mask_phone, normalize_phone, phone_tail
from careloop.core.text import pinyin_full, pinyin_initials


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("+86-138-1234-5678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("021-62345678", "+862162345678"),
        ("", ""),
    ],
)
def test_normalize_phone(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "abc", "138123456789999"])
def test_invalid_phone(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_mask_and_tail():
    assert mask_phone("+8613812345678") == "138****5678"
    assert phone_tail("+8613812345678") == "5678"
    assert mask_phone("") == ""


def test_pinyin():
    assert pinyin_initials("张三") == "zs"
    assert pinyin_full("张三") == "zhangsan"
    assert pinyin_initials("李Amy") == "la"  # latin words count as one word


def _settings_import(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import careloop.settings"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("secret_key", "debug", "refused_because"),
    [
        ("", "0", "CARELOOP_SECRET_KEY"),  # the embedded default key
        ("x" * 40, "1", "CARELOOP_DEBUG"),
        ("x" * 40, "0", None),  # safe: starts
    ],
)
def test_production_mode_refuses_unsafe_settings(tmp_path, secret_key, debug, refused_because):
    result = _settings_import(
        {
            "CARELOOP_ENV": "production",
            "CARELOOP_DATA_DIR": str(tmp_path),
            "CARELOOP_SECRET_KEY": secret_key,
            "CARELOOP_DEBUG": debug,
        }
    )
    if refused_because is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert refused_because in result.stderr


def _roundtrip(huey) -> int:
    @huey.task()
    def add(a, b):
        return a + b

    result = add(2, 3)
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)
    return result.get()


def test_sqlite_queue_roundtrip(tmp_path):
    huey = SqliteHuey("careloop-test", filename=str(tmp_path / "huey.sqlite3"))
    assert _roundtrip(huey) == 5


def test_redis_queue_roundtrip():
    """The production queue: under CI=true a missing Redis fails, elsewhere it skips."""
    import redis

    url = os.environ.get("CARELOOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    huey = RedisHuey("careloop-test", url=url)
    try:
        huey.flush()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true 需要 Redis,但 {url} 无法连接")
        pytest.skip(f"Redis not running at {url}")
    assert _roundtrip(huey) == 5
    huey.flush()


def test_a_command_on_a_database_never_migrated_says_to_migrate(tmp_path):
    """A new user's first `careloop plan` before `careloop migrate`: a clear message, no trace."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("CARELOOP_")}
    env["CARELOOP_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "careloop", "plan", "--dry-run", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "请先运行 careloop migrate" in done.stderr and "Traceback" not in done.stderr
