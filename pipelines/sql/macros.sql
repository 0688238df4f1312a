-- Shared value rules of the data contract, as DuckDB macros (set-based; no Python per row).

-- Whether a value neither starts nor ends with a space, tab or line break: LIKE with one
-- character at an edge is a prefix or suffix test, the cheapest DuckDB has.
CREATE OR REPLACE TEMP MACRO pbi_no_edge_space(s) AS
    s NOT LIKE ' %' AND s NOT LIKE '% ' AND s NOT LIKE E'\t%' AND s NOT LIKE E'%\t'
    AND s NOT LIKE E'\r%' AND s NOT LIKE E'%\r' AND s NOT LIKE E'\n%' AND s NOT LIKE E'%\n';

-- Codes, numbers, dates and IDs as typed, normalised: full-width digits, space and
-- punctuation to ASCII; trimmed; empty → NULL. Most values are plain ASCII without edge
-- spaces, or Chinese codes (正式党员) with nothing to translate or trim, and take a fast path:
-- translate costs over a microsecond a value, one regular expression a tenth of that.
CREATE OR REPLACE TEMP MACRO pbi_clean(s) AS CASE
    WHEN strlen(s) = length(s) AND pbi_no_edge_space(s) THEN nullif(s, '')
    WHEN NOT regexp_matches(s, '[０-９　．／：－ｘＸ]|^[ \t\r\n]|[ \t\r\n]$') THEN nullif(s, '')
    ELSE nullif(trim(translate(s, '０１２３４５６７８９　．／：－ｘＸ', '0123456789 ./:-xX'), E' \t\r\n　'), '') END;
-- Free text (names, categories, descriptions): trimmed, including full-width spaces.
CREATE OR REPLACE TEMP MACRO pbi_text(s) AS CASE
    WHEN pbi_no_edge_space(s) AND s NOT LIKE '　%' AND s NOT LIKE '%　' THEN nullif(s, '')
    ELSE nullif(trim(s, E' \t\r\n　'), '') END;

-- Dates in every accepted form: 2025-03-05, 2025/3/5, 2025.3.5, 2025年3月5日, 20250305, an
-- Excel serial (45721) or a date cell; NULL when unreadable or impossible (2025-02-30).
CREATE OR REPLACE TEMP MACRO pbi_unify_date_text(s) AS
    regexp_replace(replace(replace(replace(s, '年', '-'), '月', '-'), '日', ''), '[/.]', '-', 'g');
CREATE OR REPLACE TEMP MACRO pbi_date(s) AS CASE
    WHEN s IS NULL THEN NULL
    WHEN regexp_full_match(s, '\d{5}(\.\d+)?') THEN DATE '1899-12-30' + CAST(floor(CAST(s AS DOUBLE)) AS INTEGER)
    WHEN regexp_full_match(s, '\d{8}') THEN CAST(try_strptime(s, '%Y%m%d') AS DATE)
    ELSE CAST(try_strptime(pbi_unify_date_text(s), ['%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M']) AS DATE)
END;
-- Date-times: any date form, optionally followed by HH:MM[:SS]; Excel serials with a fraction.
CREATE OR REPLACE TEMP MACRO pbi_ts(s) AS CASE
    WHEN s IS NULL THEN NULL
    WHEN regexp_full_match(s, '\d{5}(\.\d+)?') THEN
        CAST(DATE '1899-12-30' AS TIMESTAMP) + to_microseconds(CAST(round(CAST(s AS DOUBLE) * 86400e6) AS BIGINT))
    WHEN regexp_full_match(s, '\d{8}') THEN try_strptime(s, '%Y%m%d')
    ELSE try_strptime(pbi_unify_date_text(s), ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d'])
END;

-- Whole numbers and decimals written as text; NULL beyond BIGINT (never an error: a 20-digit
-- value is a row's fault, quarantined by pbi_in_range, not the load's).
CREATE OR REPLACE TEMP MACRO pbi_int(s) AS
    CASE WHEN regexp_full_match(s, '-?\d+(\.0+)?') THEN TRY_CAST(TRY_CAST(s AS DOUBLE) AS BIGINT) END;
CREATE OR REPLACE TEMP MACRO pbi_num(s) AS TRY_CAST(s AS DOUBLE);

-- Citizen ID numbers (GB 11643): Excel's scientific notation, the format, the check character.
CREATE OR REPLACE TEMP MACRO pbi_id_mangled(s) AS regexp_full_match(s, '\d(\.\d+)?[eE]\+?\d+');
CREATE OR REPLACE TEMP MACRO pbi_id_format_ok(s) AS regexp_full_match(s, '\d{17}[\dX]');
CREATE OR REPLACE TEMP MACRO pbi_id_check(s) AS substr('10X98765432', 1 + (
      7 * CAST(s[1] AS INTEGER) + 9 * CAST(s[2] AS INTEGER) + 10 * CAST(s[3] AS INTEGER)
    + 5 * CAST(s[4] AS INTEGER) + 8 * CAST(s[5] AS INTEGER) + 4 * CAST(s[6] AS INTEGER)
    + 2 * CAST(s[7] AS INTEGER) + 1 * CAST(s[8] AS INTEGER) + 6 * CAST(s[9] AS INTEGER)
    + 3 * CAST(s[10] AS INTEGER) + 7 * CAST(s[11] AS INTEGER) + 9 * CAST(s[12] AS INTEGER)
    + 10 * CAST(s[13] AS INTEGER) + 5 * CAST(s[14] AS INTEGER) + 8 * CAST(s[15] AS INTEGER)
    + 4 * CAST(s[16] AS INTEGER) + 2 * CAST(s[17] AS INTEGER)) % 11, 1);
-- Keyed hash that links a person's records; the key lives outside the database.
CREATE OR REPLACE TEMP MACRO pbi_member_key(s) AS substr(sha256(getvariable('pbi_secret') || s), 1, 32);
CREATE OR REPLACE TEMP MACRO pbi_id_mask(s) AS s[1:6] || '********' || s[15:18];
CREATE OR REPLACE TEMP MACRO pbi_phone_mask(p) AS CASE WHEN p IS NULL THEN NULL
    WHEN length(p) = 11 THEN p[1:3] || '****' || p[8:11] ELSE regexp_replace(p, '\d', '*', 'g') END;

-- A failed rule: which rule, on which field, with what value.
CREATE OR REPLACE TEMP MACRO pbi_fail(rule, field, value) AS
    {'rule': rule, 'field': field, 'value': CAST(value AS VARCHAR)};
-- Is a value one of the accepted codes of kind.field (code_values holds contract + user extensions)?
CREATE OR REPLACE TEMP MACRO pbi_code_ok(k, f, v) AS
    v IN (SELECT value FROM code_values WHERE kind = k AND field = f);

-- The contract's rules as the checked views (intermediate/int_KIND_checked.sql) use them: each
-- is the failed rule (pbi_fail) or NULL, and a view keeps the first that fails, in its order,
-- with coalesce(). A value that is absent passes every rule but pbi_required. (References to
-- what an earlier kind made known, int_known_*, are in the views: those exist only by then.)
CREATE OR REPLACE TEMP MACRO pbi_rule(broken, rule, field, value) AS
    CASE WHEN broken THEN pbi_fail(rule, field, value) END;
CREATE OR REPLACE TEMP MACRO pbi_required(v, field) AS pbi_rule(v IS NULL, 'missing_required', field, NULL);
-- A rule the staging step already named (ID numbers, phones), shown by its masked value.
CREATE OR REPLACE TEMP MACRO pbi_staged_rule(rule, field, shown) AS
    CASE WHEN rule IS NOT NULL THEN pbi_fail(rule, field, shown) END;
-- A required ID number: present, and valid as staging found it.
CREATE OR REPLACE TEMP MACRO pbi_id_number(shown, rule) AS
    coalesce(pbi_required(shown, 'id_number'), pbi_staged_rule(rule, 'id_number', shown));
CREATE OR REPLACE TEMP MACRO pbi_code(k, field, v) AS
    pbi_rule(v IS NOT NULL AND NOT pbi_code_ok(k, field, v), 'invalid_code', field, v);
CREATE OR REPLACE TEMP MACRO pbi_required_code(k, field, v) AS coalesce(pbi_required(v, field), pbi_code(k, field, v));
-- Every date rule in one place. A given date or date-time (typed: d) must be readable, not
-- later than `latest` when the row names such a bound (a roster's snapshot date; else NULL),
-- and possible: not before `earliest`, nor after the day of the load (pbi_latest; the
-- --as-of date if later). The bounds are contract.toml's [dates]; batch.py sets them.
CREATE OR REPLACE TEMP MACRO pbi_date_in(v, d, field, earliest, latest) AS coalesce(
    pbi_rule(v IS NOT NULL AND d IS NULL, 'invalid_date', field, v),
    pbi_rule(CAST(d AS DATE) > latest, 'future_date', field, v),
    pbi_rule(CAST(d AS DATE) < earliest OR CAST(d AS DATE) > getvariable('pbi_latest'), 'implausible_date', field, v));
CREATE OR REPLACE TEMP MACRO pbi_date_ok(v, d, field) AS
    pbi_date_in(v, d, field, getvariable('pbi_earliest'), NULL);
CREATE OR REPLACE TEMP MACRO pbi_required_date(v, d, field) AS
    coalesce(pbi_required(v, field), pbi_date_ok(v, d, field));
-- A given number larger than its column's plausible largest (contract.toml `max`; the
-- field_limits table). Read wide (DOUBLE) first, so no value is too long to compare.
CREATE OR REPLACE TEMP MACRO pbi_in_range(k, field, v) AS pbi_rule(
    v IS NOT NULL AND TRY_CAST(v AS DOUBLE) > (SELECT largest FROM field_limits WHERE kind = k AND field_name = field),
    'number_out_of_range', field, v);
-- A given count (typed: n) that is a plausible whole number ≥ 0.
CREATE OR REPLACE TEMP MACRO pbi_count(k, v, n, field) AS coalesce(
    pbi_in_range(k, field, v),
    pbi_rule(v IS NOT NULL AND coalesce(n, -1) < 0, 'invalid_number', field, v));
-- A given rating (typed: n) outside the whole numbers 1–5.
CREATE OR REPLACE TEMP MACRO pbi_rating(v, n, field) AS
    pbi_rule(v IS NOT NULL AND (n IS NULL OR n NOT BETWEEN 1 AND 5), 'rating_out_of_range', field, v);
