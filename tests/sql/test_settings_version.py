"""Session.settings_version moves with every change of a setting, and only then: the PostgreSQL
protocol reads the settings again (ParameterStatus, TimeZone) only when it moved."""

from __future__ import annotations

import helios_core


def _version(s) -> int:
    return s.settings_version


def test_every_way_a_setting_changes_moves_the_version(tmp_path):
    s = helios_core.connect(str(tmp_path))
    try:
        seen = [_version(s)]

        def moved() -> bool:
            seen.append(_version(s))
            return seen[-1] != seen[-2]

        s.execute("SELECT 1")
        assert not moved()
        s.execute("SET TimeZone = 'Europe/Paris'")
        assert moved()
        s.execute("SET TimeZone = 'Europe/Paris'")  # the same value again
        assert not moved()
        s.execute("BEGIN")
        s.execute("SET LOCAL datestyle = 'German'")
        assert moved()
        s.execute("COMMIT")  # SET LOCAL undone at the block's end
        assert moved() and s.settings["datestyle"] == "ISO, MDY"
        s.execute("BEGIN")
        s.execute("SET enable_seqscan = off")
        assert moved()
        s.execute("ROLLBACK")  # a SET of a rolled-back block undone
        assert moved() and s.settings["enable_seqscan"] == "on"
        s.execute("BEGIN")
        s.execute("SAVEPOINT a")
        s.execute("SET search_path = nowhere")
        assert moved()
        s.execute("ROLLBACK TO SAVEPOINT a")
        assert moved() and s.settings["search_path"] != "nowhere"
        s.execute("COMMIT")
        moved()
        s.execute("SELECT set_config('application_name', 'by function', false)")
        assert moved()
        s.execute("CREATE FUNCTION tz_inside() RETURNS text LANGUAGE sql SET TimeZone = 'Asia/Tokyo' "
                  "AS $$ SELECT current_setting('TimeZone') $$")
        moved()
        assert s.execute("SELECT tz_inside()")[0].rows() == [("Asia/Tokyo",)]
        assert s.settings["timezone"] == "Europe/Paris"  # the routine's SET clause is undone after it
        s.execute("RESET ALL")
        assert moved()
        s.execute("COMMIT")  # outside a block: nothing to undo
        assert not moved()
    finally:
        s.close()
