SELECT toDateTime('2022-08-03 00:00:00') + INTERVAL number DAY, toDateTime('2022-08-03 00:00:00') + toIntervalDay(number), toDateTime('2022-08-03 00:00:00') - toIntervalHour(number + 1) FROM numbers(3);
SELECT toDate('2022-01-01') + INTERVAL 2 MONTH AS x, toDate('2022-01-31') + toIntervalMonth(1), toDate('2022-01-01') - toIntervalQuarter(1), toTypeName(x);
SELECT toDateTime('2022-08-03 00:00:00') + toIntervalWeek(2), toDateTime('2022-08-03 00:00:00') + toIntervalYear(1), toDateTime('2022-08-03 00:00:00') + toIntervalMinute(90), toDateTime('2022-08-03 00:00:00') + toIntervalSecond(30);
SELECT IPv4NumToString(toUInt32(2130706433)), IPv4NumToStringClassC(0x7f000001), IPv4StringToNum('127.0.0.1'), IPv4NumToString(IPv4StringToNum('192.168.0.1'));
select sum(IPv4NumToStringClassC(materialize(toUInt32(0))) = '0.0.0.xxx') = count() from system.one array join range(1024) as n;
SELECT IPv4StringToNum('x');
