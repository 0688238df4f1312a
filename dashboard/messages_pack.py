"""The catalog's part for the meeting pack's follow-up, drafts marked on downloads and the big
screen, and the 加减分 page's run (keys "packx."; merged by dashboard/i18n.py)."""

MESSAGES = {
    "zh": {
        "packx.draft_label": "{label}（草稿）",
        "packx.draft_mark": "草稿",
        "packx.draft_files": "当前为草稿（未经审核公示的计算结果）：下载的文件名以“草稿_”开头，材料每页均标注草稿。",
        "packx.bigscreen_draft": "草稿 · 运行 #{run} 未经审核公示，不得作为考评结论",
        "packx.followup_title": "上期整改情况（{period}，{n} 项）",
        "packx.followup_counts": "状态截至今天：{counts}。",
        "packx.followup_none": "{period}没有本层级的整改事项（该期尚未发布，或没有单位列入整改清单）。",
        "packx.followup_first": "本期之前没有同类期间，没有上期整改事项。",
        "packx.deadline": "整改期限",
        "packx.measures": "整改措施",
        "packx.status": "状态",
        "packx.in_run": "第 {run} 次计算已计入",
    },
    "en": {
        "packx.draft_label": "{label} (草稿 draft)",
        "packx.draft_mark": "草稿 draft",
        "packx.draft_files": (
            "A draft (a result not yet reviewed and publicly noticed): downloaded files are named “草稿_…”, "
            "and every page of the pack is marked 草稿."
        ),
        "packx.bigscreen_draft": "草稿 draft · run {run} is not reviewed and noticed: not an evaluation result",
        "packx.followup_title": "Last period's rectification ({period}, {n} items)",
        "packx.followup_counts": "Status as of today: {counts}.",
        "packx.followup_none": (
            "{period} has no rectification items at this level (not published yet, or no unit was listed)."
        ),
        "packx.followup_first": "No period of the same kind before this one: no items to follow up.",
        "packx.deadline": "Deadline",
        "packx.measures": "Measures",
        "packx.status": "Status",
        "packx.in_run": "Applied by run {run}",
    },
}
