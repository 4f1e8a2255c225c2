-- lower/upper change ASCII letters only; lowerUTF8/upperUTF8 change every letter
SELECT lower('aaaaАБВГAAAAaaAA'), upper('aaaaабвгAAAA'), lowerUTF8('АБВ'), upperUTF8('абв');
SELECT lower('aaaaАБВГAAAAaaAA') = 'aaaaАБВГaaaaaaaa', upper('aaaaАБВГaaaaaaaa') = 'AAAAАБВГAAAAAAAA';
SELECT toTypeName(lower('A')), lower(toFixedString('AB', 2)), lcase('ÄB'), ucase('äb');
SELECT lower(x) FROM (SELECT arrayJoin(['Ab', 'ÉCOLE', 'straße']) AS x) ORDER BY x;
