DROP TABLE IF EXISTS enums;
CREATE TABLE enums (e Enum8('zeta' = 1, 'alpha' = 2, 'mid' = -3)) ENGINE = Memory;
INSERT INTO enums VALUES ('alpha'), ('zeta'), ('mid');
SELECT e, toInt8(e) FROM enums ORDER BY e;
SELECT e FROM enums WHERE e != 'zeta' ORDER BY e DESC;
DROP TABLE enums;
