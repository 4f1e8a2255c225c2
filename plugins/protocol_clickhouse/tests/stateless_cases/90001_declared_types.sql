DROP TABLE IF EXISTS declared;
CREATE TABLE declared (a UInt8, s FixedString(3), e Enum8('x' = 1, 'y' = 2), n Nullable(String), arr Array(UInt16)) ENGINE = Memory;
INSERT INTO declared VALUES (1, 'ab', 'y', NULL, [1, 2]), (200, 'abc', 'x', 'z', []);
SELECT * FROM declared ORDER BY a FORMAT TabSeparatedWithNamesAndTypes;
SELECT toTypeName(a), toTypeName(s), toTypeName(n) FROM declared LIMIT 1;
SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'declared' ORDER BY position;
DROP TABLE declared;
