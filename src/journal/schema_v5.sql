-- The journal's schema, version 5: the gateway's billing controls.

-- The Idempotency-Key each request was sent with (written before it is sent, and the
-- same when it is sent again), and what the service said it charged for it
-- (`x-aisa-customer-cost-micros-usd`, micro-dollars; NULL: not said, which is unknown,
-- not free).
ALTER TABLE requests ADD COLUMN idempotency_key TEXT;
ALTER TABLE requests ADD COLUMN charged INTEGER;
