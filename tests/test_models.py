import pytest

from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def test_claim_factory_builds_a_valid_claim():
    claim = ClaimFactory()

    claim.full_clean()

    assert claim.slug.startswith("kratom-aids-hair-regrowth")
