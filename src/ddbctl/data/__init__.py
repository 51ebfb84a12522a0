"""The data plane: items between the wire and files, where backups live, DynamoDB's export layout,
and the scan that reads a table into it. Items never pass through the planner."""
