"""Section fields compared with upstream. Plain data, importable from both the test
process and the oracle worker (which runs in the upstream environment)."""

SECTION_FIELDS = (
    "type", "section_id", "content", "start_line", "adapter", "media_path", "media_alt",
    "media_transcript", "auto_harvest", "harvest_source", "auto_mined", "judge_name",
    "judge_score_chosen", "judge_score_rejected", "mined_at", "mined_run_id", "auto_synth",
    "synth_teacher", "synth_strategy", "synth_at", "source_section_id",
)
