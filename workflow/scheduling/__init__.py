"""When routine posts go out: publish times and recurrence rules, recurring
series, pauses of routine posts, and decisions on late approvals."""
