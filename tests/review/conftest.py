import pytest

from tests.conftest import DATA

TRANSCRIPT = (
    "[00:00:01] Interviewer: Tell me about NPQs and mentors.\n\n"
    "[00:00:09] Headteacher: The NPQ helped, and mentoring is weekly.\n\n"
    "[00:00:30] Interviewer: And autonomy?\n\n"
    "[00:00:35] Headteacher: Nothing to add there really.\n\n"
    "[00:00:50] Headteacher: Accountability is lighter now; I trust my team.\n"
)


@pytest.fixture
def reviewed(project, tmp_path):
    """A project with one transcript coded by the mini codebook: suggestions 1-3."""
    path = tmp_path / "leader.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    project.ingest([path])
    project.code(codebook_path=DATA / "mini_codebook.yaml")
    return project


def ids_by_code(project):
    return {row["code"]: row["id"] for row in project.suggestions()}
