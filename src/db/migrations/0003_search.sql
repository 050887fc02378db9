-- Schema version 3: the search index. Two contentless FTS5 tables keyed by
-- rowid = record id * 2 + kind (0 company, 1 contact):
--   search_words:  names, company names, emails, notes; every CJK character is its own token,
--                  so one- and two-character Chinese queries (张, 华为) match as phrases;
--   search_digits: phone digits under the trigram tokenizer, so any run of 3+ digits matches.
CREATE VIRTUAL TABLE search_words USING fts5(
    body, tokenize = 'unicode61 remove_diacritics 2', content = '', contentless_delete = 1
);
CREATE VIRTUAL TABLE search_digits USING fts5(
    digits, tokenize = 'trigram', content = '', contentless_delete = 1
);
