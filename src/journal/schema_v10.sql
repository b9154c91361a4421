-- The journal's schema, version 10: requests of unknown outcome a resume has reported.

-- When a `wan resume` (without --resend-unknown) said of a request sent and never answered
-- that it may have been billed, and left it unsent: the next bare `wan resume` passes its
-- run by, as it passes by images reported lost, rather than stop at it every time. NULL
-- until then, and again when the request is sent again.
ALTER TABLE requests ADD COLUMN reported TEXT;
