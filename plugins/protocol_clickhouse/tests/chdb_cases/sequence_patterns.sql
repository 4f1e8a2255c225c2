-- sequenceMatch, sequenceCount, sequenceMatchEvents over events in time order; [] compared with an array
DROP TABLE IF EXISTS seq_events;
CREATE TABLE seq_events (u UInt8, time UInt32, data UInt8) ENGINE = Memory;
INSERT INTO seq_events VALUES (1, 5, 2), (1, 0, 0), (1, 1, 0), (1, 2, 1), (1, 3, 9), (1, 4, 0), (1, 8, 1), (1, 9, 2), (2, 0, 1), (2, 2, 2), (2, 7, 1), (2, 8, 0), (2, 20, 2);
SELECT u, sequenceMatch('(?1)(?2)')(time, data = 0, data = 1), sequenceCount('(?1)(?2)')(time, data = 0, data = 1), sequenceMatchEvents('(?1)(?2)')(time, data = 0, data = 1) FROM seq_events GROUP BY u ORDER BY u;
SELECT u, sequenceMatch('(?1).*(?3)')(time, data = 0, data = 1, data = 2), sequenceCount('(?2).(?3)')(time, data = 0, data = 1, data = 2), sequenceMatchEvents('(?2).*(?3)')(time, data = 0, data = 1, data = 2) FROM seq_events GROUP BY u ORDER BY u;
SELECT u, sequenceMatch('(?2)(?t>=5)(?3)')(time, data = 0, data = 1, data = 2), sequenceCount('(?2)(?t<=3)(?3)')(time, data = 0, data = 1, data = 2), sequenceMatchEvents('(?2)(?t>5)(?3)')(time, data = 0, data = 1, data = 2) FROM seq_events GROUP BY u ORDER BY u;
SELECT u, sequenceCount('(?1)')(time, data = 0, data = 1), sequenceCount('.')(time, data = 0, data = 1), sequenceCount('')(time, data = 0, data = 1) FROM seq_events GROUP BY u ORDER BY u;
SELECT sequenceMatchEvents('(?1)(?1)(?1)(?2)')(time, data = 0, data = 1) FROM seq_events WHERE u = 1;
SELECT sequenceMatch('(?1)')(time, data = 0) FROM seq_events WHERE u = 3;
SELECT [] = sequenceMatchEvents('(?3)')(time, data = 0, data = 1, data = 7), [] != [1, 2], [1] = [1], emptyArrayUInt8() = [];
DROP TABLE seq_events;
