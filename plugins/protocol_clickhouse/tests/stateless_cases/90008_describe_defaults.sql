DROP TABLE IF EXISTS dflt;
CREATE TABLE dflt (a UInt8, b String DEFAULT 'x', e Enum8('p' = 1, 'q' = 2), n Nullable(Int32)) ENGINE = Memory;
DESCRIBE TABLE dflt;
INSERT INTO dflt (n) VALUES (1);
SELECT * FROM dflt;
DROP TABLE dflt;
