"""Fixtures shared by the application tests."""

import pytest


@pytest.fixture(scope="session")
def dask_client():
    """An in-process ``dask.distributed`` cluster with 2 workers (threads), active as the
    default scheduler while the test runs."""
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        with distributed.Client(cluster, set_as_default=False) as client:
            yield client


@pytest.fixture
def active_client(dask_client):
    """``dask_client`` set as the default scheduler for the duration of one test."""
    import dask

    with dask_client.as_current(), dask.config.set(scheduler="dask.distributed"):
        yield dask_client
