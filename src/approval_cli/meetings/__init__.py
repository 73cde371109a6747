"""Meeting records (處務會議紀錄): the outline, directives, units, people, deadlines and 列管 changes."""
