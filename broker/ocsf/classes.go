package ocsf

// OCSF categories, classes, statuses and severities used here (OCSF 1.1).
const (
	catIAM = 3
	catApp = 6

	classAccountChange  = 3001
	classAuthentication = 3002
	classAuthorize      = 3003
	classUserAccess     = 3005
	classGroupMgmt      = 3006
	classAPIActivity    = 6003

	statusSuccess = 1
	statusFailure = 2

	sevInformational = 1
	sevLow           = 2
	sevMedium        = 3

	activityOther = 99

	userTypeUnknown = 0
	userTypeUser    = 1
	userTypeSystem  = 3
)

var categoryNames = map[int]string{catIAM: "Identity & Access Management", catApp: "Application Activity"}

var classNames = map[int]string{
	classAccountChange: "Account Change", classAuthentication: "Authentication", classAuthorize: "Authorize Session",
	classUserAccess: "User Access Management", classGroupMgmt: "Group Management", classAPIActivity: "API Activity",
}

var statusNames = map[int]string{statusSuccess: "Success", statusFailure: "Failure"}

var severityNames = map[int]string{sevInformational: "Informational", sevLow: "Low", sevMedium: "Medium"}

var userTypeNames = map[int]string{userTypeUnknown: "Unknown", userTypeUser: "User", userTypeSystem: "System"}

// activityNames are the captions of each class's activity ids.
var activityNames = map[int]map[int]string{
	classAccountChange:  {1: "Create", 2: "Enable", 5: "Disable", 6: "Delete", activityOther: "Other"},
	classAuthentication: {1: "Logon", activityOther: "Other"},
	classAuthorize:      {1: "Assign Privileges"},
	classUserAccess:     {2: "Revoke Privileges"},
	classGroupMgmt:      {3: "Add User", 4: "Remove User", activityOther: "Other"},
	classAPIActivity:    {1: "Create", 3: "Update", 4: "Delete", activityOther: "Other"},
}

// classify fills in the class, category, activity and type of e.
func (e *Event) classify(class, activity int, activityName string) {
	e.ClassUID, e.ClassName = class, classNames[class]
	e.CategoryUID = class / 1000
	e.CategoryName = categoryNames[e.CategoryUID]
	e.ActivityID = activity
	e.ActivityName = activityName
	if e.ActivityName == "" {
		e.ActivityName = activityNames[class][activity]
	}
	e.TypeUID = class*100 + activity
	e.TypeName = e.ClassName + ": " + e.ActivityName
}

func (e *Event) status(id int, detail string) {
	e.StatusID, e.Status, e.StatusDetail = id, statusNames[id], detail
}

func (e *Event) severity(id int) { e.SeverityID, e.Severity = id, severityNames[id] }

func user(uid, name, email string, typ int) *User {
	return &User{UID: uid, Name: name, EmailAddr: email, TypeID: typ, Type: userTypeNames[typ]}
}
