SET joined_subquery_requires_alias = 0;
select b from (select 1 as a, 42 as c) js1 any left join (select 2 as b, 2 as b, 42 as c) js2 using c;
select a, b, c from (select 42 as a, 1 as b, 2 as c, 1 as b, 2 as c) any left join (select 42 as a, 3 as d) using a order by d;
select c, a, a, b, b from (select 1 as a, 1 as a, 42 as c group by c order by a, c) js1 any left join (select 2 as b, 2 as b, 41 as c group by c order by b, c) js2 using c order by b;
SELECT * FROM (select 2 as b, 2 as b, 41 as c) FORMAT TSVWithNames;
select x, y from (select 1 as x, 2 as y, x, y);
