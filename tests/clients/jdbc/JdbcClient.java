import java.sql.*;
import java.util.*;

/** What a BI tool does over pgJDBC: metadata calls, prepared and batched statements, fetch sizes,
 *  savepoints and errors; prints one line per check for the Python test to compare. */
public class JdbcClient {
  static void p(Object... a) {
    StringBuilder sb = new StringBuilder();
    for (Object o : a) sb.append(o).append('|');
    System.out.println(sb);
  }

  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + args[0] + "/helios", "helios", "")) {
      DatabaseMetaData md = c.getMetaData();
      p("product", md.getDatabaseProductName(), md.getDatabaseMajorVersion());
      Statement s = c.createStatement();
      s.execute("drop table if exists jt");
      s.execute("create table jt (id serial primary key, name varchar(20) not null, amt numeric(8,2), "
          + "at timestamptz default now(), tags text[], j jsonb)");
      PreparedStatement ps = c.prepareStatement("insert into jt (name, amt, tags, j) values (?, ?, ?, ?::jsonb)",
          Statement.RETURN_GENERATED_KEYS);
      for (int i = 0; i < 7; i++) {
        ps.setString(1, "n" + i);
        ps.setBigDecimal(2, new java.math.BigDecimal(i + ".5"));
        ps.setArray(3, c.createArrayOf("text", new String[] {"a", "b" + i}));
        ps.setString(4, "{\"i\":" + i + "}");
        ps.addBatch();
      }
      p("batch", Arrays.toString(ps.executeBatch()));
      ResultSet keys = ps.getGeneratedKeys();
      int n = 0;
      while (keys.next()) n++;
      p("keys", n);
      c.setAutoCommit(false);
      PreparedStatement q = c.prepareStatement("select id, name, amt, tags, j->>'i' as i from jt where id > ? order by id");
      q.setFetchSize(2);
      for (int round = 0; round < 7; round++) {  // past prepareThreshold: a named server-side statement
        q.setInt(1, round);
        ResultSet r = q.executeQuery();
        int rows = 0;
        while (r.next()) {
          if (rows++ == 0 && round == 0) {
            p("row", r.getInt(1), r.getString(2), r.getBigDecimal(3), Arrays.toString((Object[]) r.getArray(4).getArray()), r.getString(5));
          }
        }
        if (round == 6) p("rows", rows);
      }
      c.commit();
      ResultSet t = md.getTables(null, "public", "jt", new String[] {"TABLE"});
      while (t.next()) p("table", t.getString("TABLE_NAME"), t.getString("TABLE_TYPE"));
      ResultSet cols = md.getColumns(null, "public", "jt", null);
      while (cols.next()) {
        p("column", cols.getString("COLUMN_NAME"), cols.getString("TYPE_NAME"), cols.getInt("DATA_TYPE"),
            cols.getInt("COLUMN_SIZE"), cols.getString("IS_NULLABLE"), cols.getString("IS_AUTOINCREMENT"));
      }
      ResultSet ix = md.getIndexInfo(null, "public", "jt", false, false);
      while (ix.next()) p("index", ix.getString("INDEX_NAME"), ix.getString("COLUMN_NAME"), ix.getBoolean("NON_UNIQUE"));
      ResultSetMetaData rm = c.createStatement().executeQuery("select id, name, amt from jt limit 1").getMetaData();
      p("resultset", rm.getColumnTypeName(1), rm.getColumnTypeName(2), rm.getPrecision(3), rm.getScale(3),
          rm.getTableName(2), rm.isNullable(2), rm.isAutoIncrement(1));
      try {
        c.createStatement().execute("select 1/0");
      } catch (SQLException e) {
        p("error", e.getSQLState());
      }
      c.rollback();
      CallableStatement cs = c.prepareCall("{? = call upper(?)}");  // the OUT placeholder travels as void
      cs.registerOutParameter(1, Types.VARCHAR);
      cs.setString(2, "abc");
      cs.execute();
      p("call", cs.getString(1));
      c.rollback();
      ResultSet pk = md.getPrimaryKeys(null, "public", "jt");
      while (pk.next()) p("pk", pk.getString("COLUMN_NAME"), pk.getInt("KEY_SEQ"), pk.getString("PK_NAME"));
      Savepoint sp = c.setSavepoint();
      c.createStatement().execute("delete from jt");
      c.rollback(sp);
      ResultSet cnt = c.createStatement().executeQuery("select count(*) from jt");
      cnt.next();
      p("savepoint", cnt.getLong(1));
      c.commit();
    }
  }
}
