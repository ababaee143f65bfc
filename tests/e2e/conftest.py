"""One compose stack for the e2e tests, under its own project name and port: a stack the user started with
`make up` (project botmoon, :37674) is neither used nor changed."""

import os

import pytest

from botmoon_testing.compose import Stack, build_images, freeze_images, unfreeze_images


@pytest.fixture(scope="session")
def images():
    """The images `make up` would build, under a tag of this session's (see freeze_images); or, with
    BOTMOON_E2E_IMAGE_TAG, an image set built before (e.g. `IMAGE_TAG=ci scripts/images.sh`), used as it is."""
    if tag := os.environ.get("BOTMOON_E2E_IMAGE_TAG"):
        yield tag
        return
    build_images()
    tag = freeze_images()
    yield tag
    unfreeze_images(tag)


@pytest.fixture(scope="session")
def stack(images):
    # Webhook targets on this host (test_compose_stack.py); offline (the bundled candles: results do not depend on
    # a network the test machine may not have); room for the scale test's bursts from one client; everything else
    # the stack's defaults.
    stack = Stack(image_tag=images, GATEWAY_WEBHOOK_ALLOW="host.docker.internal", MARKETDATA_EXCHANGE_ACCESS="false",
                  GATEWAY_FAIR_MAX_BACKTESTS="12")
    try:
        stack.up()
        yield stack
    finally:
        stack.down()
    assert stack.leftovers() == {"containers": [], "networks": [], "volumes": []}
