"""Shared fixtures: one realistic 60-day result read from a csv file, in French and English."""

from __future__ import annotations

import dataclasses

import pytest
from report_fixture import make_result, measurements_from_file


@pytest.fixture(scope="session")
def sample_measurements(tmp_path_factory):
    return measurements_from_file(tmp_path_factory.mktemp("sample"))


@pytest.fixture()
def fr_result(sample_measurements):
    return make_result(sample_measurements, lang="fr")


@pytest.fixture()
def en_result(fr_result):
    return dataclasses.replace(fr_result, lang="en")
