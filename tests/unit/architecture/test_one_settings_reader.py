"""One reader of settings: ``thermowatch.settings`` reads the environment and the settings file;
every other module gets them from it (typed, resolved once per call)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers.source import source_trees
from thermowatch.errors import InputError
from thermowatch.settings import (
    ENV_PREFIX,
    PROCESS_VARIABLES,
    Environment,
    SettingsFile,
    database_url,
    environment,
    prefixed,
)

#: The one module that reads the process environment.
READER = "settings.py"


def _environment_reads(tree: ast.AST) -> list[int]:
    """Lines that touch ``os.environ`` / ``os.getenv`` / ``os.putenv`` (or import them)."""
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("environ", "getenv", "putenv")
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and {a.name for a in node.names} & {"environ", "getenv", "putenv"}
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_the_scan_sees_every_form():
    code = (
        "import os\nfrom os import getenv\nos.environ['A']\nos.getenv('B')\nos.environ.get('C')\n"
    )
    assert _environment_reads(ast.parse(code)) == [2, 3, 4, 5]


def test_only_the_settings_module_reads_the_environment():
    found = [
        f"{name}:{line}"
        for name, tree in source_trees()
        if name != READER
        for line in _environment_reads(tree)
    ]
    assert found == []


#: The modules that may call ``environment()``: where settings are resolved, once, before being
#: passed down as objects. Shrink this list; never grow it (pass the resolved object instead).
ENVIRONMENT_RESOLVERS = {
    "service/settings.py": "load_settings: the service's resolution, called once by create_app",
    "paths.py": "data_home: the data directory (THERMOWATCH_HOME, XDG_DATA_HOME)",
    "jobs/celery_app.py": "the module `celery -A` imports: an entry point",
    "cli/_errors.py": "the command line's top-level error handler (THERMOWATCH_DEBUG)",
    "cli/db.py": "the backup commands' key",
    "cli/doctor.py": "the doctor command, once, into its Context",
    "cli/jobs.py": "job_settings(), called at the start of the job commands",
    "cli/serve.py": "the serve command (the laptop JWT secret)",
    "cli/signing.py": "the model sign command's key",
}


def _calls_environment(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "environment")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "environment")
        )
        for node in ast.walk(tree)
    )


def test_the_scan_sees_a_call_of_environment():
    assert _calls_environment(
        ast.parse("from thermowatch.settings import environment\nenvironment()")
    )
    assert _calls_environment(ast.parse("import thermowatch.settings as s\ns.environment().home"))
    assert not _calls_environment(ast.parse("JobSettings.resolve(env, file)"))


def test_settings_are_resolved_at_the_entry_points_only():
    """Deep modules receive resolved settings (create_app -> metrics, rate limits, dashboard;
    a command -> JobSettings -> runner -> retrain) instead of reading the environment."""
    callers = {name for name, tree in source_trees() if name != READER and _calls_environment(tree)}
    assert callers == set(ENVIRONMENT_RESOLVERS)


def test_only_the_config_reader_parses_toml():
    """``thermowatch.toml`` (and every other TOML file) goes through config.read_toml, which
    settings.read_settings calls for the settings file."""
    importers = sorted(
        name
        for name, tree in source_trees()
        if name != "config.py"
        and any(
            (isinstance(n, ast.Import) and any(a.name == "tomllib" for a in n.names))
            or (isinstance(n, ast.ImportFrom) and n.module == "tomllib")
            for n in ast.walk(tree)
        )
    )
    assert importers == []


def test_every_variable_is_declared_with_its_type():
    env = environment({
        "THERMOWATCH_JOB_LEASE_S": "90", "THERMOWATCH_DEBUG": "1",
        "THERMOWATCH_MODELS_DIR": "/m", "XDG_DATA_HOME": "/x",
        "THERMOWATCH_UNKNOWN": "ignored",
    })  # fmt: skip
    assert env.job_lease_s == 90.0 and env.debug is True
    assert env.models_dir == "/m" and env.xdg_data_home == "/x"
    assert environment({}) == Environment()
    assert "XDG_DATA_HOME" in PROCESS_VARIABLES


def test_a_bad_value_is_one_sentence_naming_the_variable():
    with pytest.raises(InputError, match="THERMOWATCH_JOB_LEASE_S='soon' is not valid"):
        environment({"THERMOWATCH_JOB_LEASE_S": "soon"})


def test_the_database_url_is_decided_in_one_place():
    file = SettingsFile(Path("t.toml"), {"store": {"url": "sqlite:///file.db"}})
    env = {ENV_PREFIX + "DATABASE_URL": "sqlite:///env.db"}
    assert database_url("sqlite:///cli.db", file, env) == "sqlite:///cli.db"
    assert database_url(None, file, env) == "sqlite:///env.db"
    assert database_url(None, file, {}) == "sqlite:///file.db"
    assert database_url(None, None, {}) is None


def test_a_section_reads_only_its_declared_keys():
    env = {"THERMOWATCH_PORT": "9", "THERMOWATCH_OTHER": "x", "PORT": "1"}
    assert prefixed(["port", "host"], env) == {"port": "9"}
